import * as os from 'node:os'
import type { HomeInfo } from '../home/types.js'
import {
  HOME_PREFIX,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ComponentSummary,
  type DatabaseRecord,
  type FileRecord,
  type Manifest
} from '../archive/manifest.js'
import { TOOL_NAME, TOOL_VERSION } from '../shared/tool.js'

export interface ManifestInput {
  home: HomeInfo
  files: FileRecord[]
  databases: DatabaseRecord[]
  exclusions: string[]
  encryption?: Manifest['encryption']
  createdAt: Date
}

/** The manifest of one backup: identity, the home's config (no secrets), components, every entry, the dumps. */
export function buildManifest(input: ManifestInput): Manifest {
  const { home } = input
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt: input.createdAt.toISOString(),
    host: os.hostname(),
    home: {
      path: home.path,
      xlReleaseVersion: home.version,
      era: home.era,
      server: {
        httpPort: home.server.httpPort,
        bindAddress: home.server.bindAddress,
        contextRoot: home.server.contextRoot,
        ssl: home.server.ssl
      }
    },
    components: summarizeComponents(input.files),
    exclusions: input.exclusions,
    files: input.files,
    databases: input.databases,
    ...(input.encryption ? { encryption: input.encryption } : {})
  }
}

/** Totals per top-level folder of the home ('.' for files directly in it), sorted by name. */
export function summarizeComponents(files: FileRecord[]): ComponentSummary[] {
  const totals = new Map<string, ComponentSummary>()
  for (const file of files) {
    if (!file.path.startsWith(HOME_PREFIX)) continue
    const rest = file.path.slice(HOME_PREFIX.length)
    if (rest === '') continue
    const slash = rest.indexOf('/')
    const name = slash < 0 ? '.' : rest.slice(0, slash)
    const summary = totals.get(name) ?? { name, files: 0, bytes: 0 }
    if (file.type !== 'directory') {
      summary.files++
      summary.bytes += file.size
    }
    totals.set(name, summary)
  }
  return [...totals.values()].sort((a, b) => a.name.localeCompare(b.name))
}
