import * as os from 'node:os'
import type { HomeInfo } from '../../home/types.js'
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ComponentSummary,
  type DatabaseRecord,
  type Manifest,
  type OwnerRecord
} from '../../format/manifest.js'
import { TOOL_NAME, TOOL_VERSION } from '../../shared/tool.js'

/** The manifest but its list of entries, which grows with the home and so is spooled to disk, never held. */
export type ManifestHead = Omit<Manifest, 'files'>

export interface ManifestInput {
  home: HomeInfo
  components: ComponentSummary[]
  databases: DatabaseRecord[]
  exclusions: string[]
  owners: OwnerRecord[]
  encryption?: Manifest['encryption']
  createdAt: Date
}

/** The manifest of one backup but its entries: identity, the home's config (no secrets), components, the dumps. */
export function buildManifestHead(input: ManifestInput): ManifestHead {
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
    components: input.components,
    exclusions: input.exclusions,
    databases: input.databases,
    owners: input.owners,
    ...(input.encryption ? { encryption: input.encryption } : {})
  }
}
