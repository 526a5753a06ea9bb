import { InputError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { HOME_PREFIX, type FileRecord } from '../format/manifest.js'
import { WORK_DIR_PREFIX } from '../format/restore-work-dir.js'
import { isHomeLockName } from '../format/home-lock-name.js'
import type { Component } from './types.js'
import { Input } from '../shared/io-names.js'

export const DATABASES = 'databases'
/** Always restored by default: the vendor's user data. */
const DEFAULT_CORE = ['repository', 'conf', 'ext', 'plugins']
/** Restored by default when the backup has them. */
const DEFAULT_OPTIONAL = ['archive', 'hotfix', 'reports']
/**
 * Swap order: the vendor replaces repository/ first, then conf/, ext/, plugins/; the rest follows by name. The
 * databases always come after every folder (their restore may read the restored conf).
 */
const SWAP_ORDER = ['repository', 'conf', 'ext', 'plugins', 'archive', 'hotfix', 'reports']

/** Top-level names (folders and files) of the backed-up home, from the manifest's entries. */
export function backupTopLevel(files: Iterable<Pick<FileRecord, 'path'>>): string[] {
  const names = new Set<string>()
  for (const f of files) {
    if (!f.path.startsWith(HOME_PREFIX)) continue
    const name = f.path.slice(HOME_PREFIX.length).split('/')[0]
    // A leftover restore work folder or the home's lock inside a backed-up home is never a component.
    if (name && !name.startsWith(WORK_DIR_PREFIX) && !isHomeLockName(name)) names.add(name)
  }
  return [...names].sort()
}

/**
 * Turns the `components` input into what to restore, in swap order.
 * `backupEntries`: top-level names of the backed-up home (`backupTopLevel`); `hasDatabases`: the backup holds dumps.
 */
export function selectComponents(
  input: string,
  backupEntries: string[],
  hasDatabases: boolean,
  logger?: Logger
): Component[] {
  const entries = backupEntries.filter(e => !e.startsWith(WORK_DIR_PREFIX) && !isHomeLockName(e))
  const value = input.trim() === '' ? 'default' : input.trim()
  let names: string[]
  let databases: boolean
  if (value === 'default') {
    const missing = DEFAULT_CORE.filter(n => !entries.includes(n))
    if (missing.length > 0) logger?.info(`Not in the backup, so not restored: ${missing.join(', ')}.`)
    names = [...DEFAULT_CORE, ...DEFAULT_OPTIONAL].filter(n => entries.includes(n))
    databases = hasDatabases
  } else if (value === 'all') {
    names = [...entries]
    databases = hasDatabases
  } else {
    const asked = value
      .split(',')
      .map(s => s.trim())
      .filter(s => s !== '')
    const valid = [...entries, ...(hasDatabases ? [DATABASES] : [])]
    const unknown = asked.filter(n => !valid.includes(n))
    if (asked.length === 0 || unknown.length > 0) {
      const what =
        asked.length === 0
          ? 'names no component'
          : `names ${unknown.map(n => `'${n}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not in this backup`
      throw new InputError(
        Input.Components,
        `The '${Input.Components}' input ${what}. Use 'default', 'all', or a comma-separated list of: ${valid.join(', ')}.` +
          (!hasDatabases && asked.includes(DATABASES) ? ' (This backup holds no database dumps.)' : '')
      )
    }
    names = asked.filter(n => n !== DATABASES)
    databases = asked.includes(DATABASES)
  }
  const ordered = [...new Set(names)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
  const result: Component[] = ordered.map(name => ({ kind: 'home', name }))
  if (databases) result.push({ kind: 'databases', name: DATABASES })
  return result
}

function rank(name: string): number {
  const i = SWAP_ORDER.indexOf(name)
  return i === -1 ? SWAP_ORDER.length : i
}

export interface WarningContext {
  /** XL Release version of what will run on the restored home (the backup's). */
  version: string | null
  /** The backup holds conf/repository-keystore.jceks. */
  backupHasKeystore: boolean
  /** The backup holds database dumps (when not, the embedded database lives in repository/). */
  hasDatabases: boolean
}

/** The pairing warnings: plugins vs databases on 22.0+, and databases without their keystore. */
export function componentWarnings(components: Component[], ctx: WarningContext): string[] {
  const names = components.map(c => c.name)
  const warnings: string[] = []
  // With embedded databases the database lives in repository/, so that is what plugins/ must be paired with.
  const dbName = ctx.hasDatabases ? DATABASES : 'repository'
  const withPlugins = names.includes('plugins')
  const withDb = names.includes(dbName)
  if (withPlugins !== withDb && majorVersion(ctx.version) >= 22) {
    const [restored, kept] = withPlugins ? ['plugins', dbName] : [dbName, 'plugins']
    warnings.push(
      `Restoring ${restored} without ${kept} on XL Release ${ctx.version}: since 22.0 the server keeps plugins in ` +
        `the database and, at start, deletes plugins on disk that the database does not know. A mismatched pair can ` +
        `lose plugins. Restore plugins and ${dbName} together (add them to '${Input.Components}') unless you know they match.`
    )
  }
  if (names.includes(DATABASES)) {
    const keystoreRestored = names.includes('conf') && ctx.backupHasKeystore
    if (!keystoreRestored) {
      const why = !ctx.backupHasKeystore
        ? 'the backup holds no conf/repository-keystore.jceks'
        : "'conf' is not restored, so the home keeps its current conf/repository-keystore.jceks"
      warnings.push(
        `DATABASE WITHOUT ITS KEYSTORE: ${why}. Every secret stored in the database (passwords of shared ` +
          `configurations, credentials) is encrypted with the key in that file: paired with a different keystore ` +
          `they are unreadable. Restore 'conf' from the same backup, or put the matching keystore back by hand.`
      )
    }
  }
  return warnings
}

export function majorVersion(version: string | null): number {
  const m = version ? /^(\d+)/.exec(version) : null
  return m ? Number(m[1]) : -1
}
