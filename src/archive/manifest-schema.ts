import { ENGINES } from '../database/types.js'
import { unsafeNameReason } from './entry-safety.js'
import {
  DATABASE_PREFIX,
  HOME_PREFIX,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type DatabaseRecord,
  type FileRecord,
  type Manifest
} from '../format/manifest.js'

/**
 * The one schema every manifest passes before any field of it is used: a backup is untrusted input, and a manifest
 * string becomes a folder name (a role), an archive prefix (a dump) or a file name (a dump file). Every object is
 * closed (unknown fields refused), every enumeration is a fixed set, and every string that ends up in a path passes
 * the same checks as an entry name. Hand-written (see docs/decisions/0003-manifest-schema.md): the rules that matter here
 * — names checked like entry names, a prefix that must equal its roles — are code in any schema library too.
 */

/** The fields of a manifest that was refused, and why, as one line: `databases[0].roles[1] is "x": …`. */
export class ManifestSchemaError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string
  ) {
    super(`${field} ${detail}`)
  }
}

export const ROLES = ['repository', 'archive'] as const
export const ERAS = ['sql', 'jcr', 'unknown'] as const
export const FILE_TYPES = ['file', 'directory', 'symlink'] as const
/** Dump formats and the one file (or folder) each keeps under its prefix; custom commands write what they like. */
export const DUMP_FILES: Readonly<Record<string, string | null>> = {
  'pg-custom': 'dump.pgdump',
  'pg-directory': 'dump.pgdir',
  'mysql-sql-gzip': 'dump.sql.gz',
  'custom-command': null
}
/** Link texts longer than this are refused by the reader too. */
export const MAX_LINK_TEXT = 4096

type Check = (value: unknown, at: string) => void

const fail = (at: string, value: unknown, expected: string): never => {
  throw new ManifestSchemaError(at, `is ${show(value)}: ${expected}`)
}

function show(value: unknown): string {
  if (value === undefined) return 'missing'
  const text = JSON.stringify(value)
  return text.length > 120 ? `${text.slice(0, 117)}…` : text
}

/** Entry names and link texts: any string (their own checks follow); they are never printed as a line of their own. */
const anyString: Check = (v, at) => {
  if (typeof v !== 'string') fail(at, v, 'expected a string')
}
const MAX_TEXT = 4096
/**
 * The manifest's descriptive strings (host, versions, URLs, times) end up in logs and job summaries: a line break
 * or control character there could forge a log line or a runner command ('::…::'), so they hold none.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const string: Check = (v, at) => {
  if (typeof v !== 'string') fail(at, v, 'expected a string')
  if ((v as string).length > MAX_TEXT) fail(at, v, `expected at most ${MAX_TEXT} characters`)
  if (CONTROL.test(v as string)) fail(at, v, 'expected text without line breaks or control characters')
}
const nullableString: Check = (v, at) => {
  if (v !== null) string(v, at)
}
const boolean: Check = (v, at) => {
  if (typeof v !== 'boolean') fail(at, v, 'expected true or false')
}
const count: Check = (v, at) => {
  if (!Number.isSafeInteger(v) || (v as number) < 0) fail(at, v, 'expected a whole number ≥ 0')
}
const finite: Check = (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, v, 'expected a number')
}
const sha256: Check = (v, at) => {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) fail(at, v, 'expected a SHA-256 (64 lower-case hex digits)')
}
const oneOf =
  (values: readonly string[], what: string): Check =>
  (v, at) => {
    if (typeof v !== 'string' || !values.includes(v))
      fail(at, v, `${what} is ${values.map(x => `'${x}'`).join(' or ')}`)
  }
const arrayOf =
  (item: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) fail(at, v, 'expected a list')
    ;(v as unknown[]).forEach((x, i) => item(x, `${at}[${i}]`))
  }

/** A closed object: every `required` field present and valid, `optional` ones valid when present, nothing else. */
function object(
  v: unknown,
  at: string,
  required: Record<string, Check>,
  optional: Record<string, Check> = {}
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at || 'the manifest', v, 'expected an object')
  const o = v as Record<string, unknown>
  const field = (name: string): string => (at ? `${at}.${name}` : name)
  for (const name of Object.keys(o)) {
    if (!(name in required) && !(name in optional)) {
      throw new ManifestSchemaError(field(name), 'is not a field of an xlr-backup manifest')
    }
  }
  for (const [name, check] of Object.entries(required)) check(o[name], field(name))
  for (const [name, check] of Object.entries(optional)) if (name in o) check(o[name], field(name))
  return o
}

const tool: Check = (v, at) => object(v, at, { name: string, version: string })

const fileRecord: Check = (v, at) => {
  const o = object(
    v,
    at,
    { path: anyString, type: oneOf(FILE_TYPES, 'an entry type'), mode: count, mtime: finite, size: count },
    // The index is checked against the owners table once the whole manifest is read.
    { sha256, target: anyString, owner: count }
  )
  const name = o.path as string
  const reason = unsafeNameReason(name)
  if (reason) fail(`${at}.path`, name, `not a safe entry name (${reason})`)
  if (!name.startsWith(HOME_PREFIX) && !name.startsWith(DATABASE_PREFIX)) {
    fail(`${at}.path`, name, `an entry name starts with '${HOME_PREFIX}' or '${DATABASE_PREFIX}'`)
  }
  if ((o.mode as number) > 0o7777) fail(`${at}.mode`, o.mode, 'expected permission bits (at most 0o7777)')
  const type = o.type as FileRecord['type']
  if (type === 'directory') {
    if ('sha256' in o) fail(`${at}.sha256`, o.sha256, 'a folder has no content hash')
    if ((o.size as number) !== 0) fail(`${at}.size`, o.size, 'a folder has size 0')
  } else if (!('sha256' in o)) {
    fail(`${at}.sha256`, undefined, `a ${type} has a SHA-256`)
  }
  if (type === 'symlink') {
    if (!('target' in o)) fail(`${at}.target`, undefined, 'a symlink has its target')
    if ((o.size as number) > MAX_LINK_TEXT) fail(`${at}.size`, o.size, `a link text is at most ${MAX_LINK_TEXT} bytes`)
  } else if ('target' in o) {
    fail(`${at}.target`, o.target, `only a symlink has a target, this is a ${type}`)
  }
}

const componentSummary: Check = (v, at) => {
  const o = object(v, at, { name: string, files: count, bytes: count })
  const name = o.name as string
  if (name !== '.' && (name.includes('/') || unsafeNameReason(name))) {
    fail(`${at}.name`, name, "a component is one folder name of the home, or '.'")
  }
}

const port: Check = (v, at) => {
  if (v !== null && (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > 65535)) {
    fail(at, v, 'expected a port number or null')
  }
}

function roleList(v: unknown, at: string): void {
  arrayOf(oneOf(ROLES, 'a role'))(v, at)
  const roles = v as string[]
  if (roles.length === 0) fail(at, v, 'a database serves at least one role')
  if (new Set(roles).size !== roles.length) fail(at, v, 'a role is listed once')
}

function dumpRecord(v: unknown, at: string, roles: string[]): void {
  const o = object(
    v,
    at,
    {
      format: oneOf(Object.keys(DUMP_FILES), 'a dump format'),
      prefix: string,
      bytes: count,
      tool,
      serverVersion: nullableString,
      startedAt: string,
      finishedAt: string
    },
    { sha256, file: string, tables: arrayOf(string) }
  )
  const expectedPrefix = `${DATABASE_PREFIX}${roles.join('+')}/`
  if (o.prefix !== expectedPrefix) {
    fail(`${at}.prefix`, o.prefix, `the dump of ${roles.join(' + ')} is stored under '${expectedPrefix}'`)
  }
  const format = o.format as string
  const file = DUMP_FILES[format]
  if (file === null) {
    if ('file' in o) fail(`${at}.file`, o.file, `a ${format} dump names no file`)
  } else if (o.file !== file) {
    fail(`${at}.file`, o.file, `a ${format} dump is the ${format === 'pg-directory' ? 'folder' : 'file'} '${file}'`)
  }
  if ('tables' in o && format !== 'mysql-sql-gzip') fail(`${at}.tables`, o.tables, 'only a MySQL dump lists tables')
}

const databaseRecord: Check = (v, at) => {
  const o = object(
    v,
    at,
    {
      roles: roleList,
      engine: oneOf(ENGINES, 'an engine'),
      url: string,
      host: nullableString,
      port,
      database: nullableString,
      embedded: boolean
    },
    // Checked below, once the roles it must match are known.
    { dump: () => undefined, keystoreSha256: (k, kat) => (k === null ? undefined : sha256(k, kat)) }
  )
  if ('keystoreSha256' in o && !('dump' in o)) {
    fail(`${at}.keystoreSha256`, o.keystoreSha256, 'only a dumped database records the keystore it was dumped with')
  }
  if ('dump' in o) {
    if (o.embedded === true) fail(`${at}.dump`, '…', 'an embedded database is held by the home archive, not dumped')
    dumpRecord(o.dump, `${at}.dump`, o.roles as string[])
  }
}

const home: Check = (v, at) =>
  object(v, at, {
    path: string,
    xlReleaseVersion: nullableString,
    era: oneOf(ERAS, 'an era'),
    server: (s, sat) => object(s, sat, { httpPort: port, bindAddress: string, contextRoot: string, ssl: boolean })
  })

/** Owner ids as chown takes them: (uid_t)-1 means 'unchanged', so it is never an owner. */
const MAX_OWNER_ID = 2 ** 32 - 2
/** Longer than any user or group name a name service gives out. */
const MAX_OWNER_NAME = 256
/** Distinct owners in a home are a handful; a table this long is not a backup's. */
const MAX_OWNERS = 65_536

const ownerId: Check = (v, at) => {
  count(v, at)
  if ((v as number) > MAX_OWNER_ID) fail(at, v, `expected an id of at most ${MAX_OWNER_ID}`)
}
/** A name is looked up on the restoring host (an argument, never through a shell); it cannot pose as an option. */
const ownerName: Check = (v, at) => {
  if (v === null) return
  string(v, at)
  const name = v as string
  if (name === '' || name.length > MAX_OWNER_NAME || name.startsWith('-') || /[:/\s]/.test(name)) {
    fail(
      at,
      v,
      `expected a user or group name (1 to ${MAX_OWNER_NAME} characters, no ':', '/' or spaces, not starting with '-') or null`
    )
  }
}
const ownerRecord: Check = (v, at) => object(v, at, { uid: ownerId, gid: ownerId, user: ownerName, group: ownerName })
const ownerTable: Check = (v, at) => {
  arrayOf(ownerRecord)(v, at)
  if ((v as unknown[]).length > MAX_OWNERS)
    fail(at, `${(v as unknown[]).length} owners`, `expected at most ${MAX_OWNERS}`)
}

/** Format 2's fields are refused in a format 1 manifest; each entry's owner must name a row of the table. */
function checkVersionFields(manifest: Manifest): void {
  if (manifest.formatVersion < 2) {
    if (manifest.owners !== undefined) fail('owners', '…', 'a format 1 manifest records no owners')
    const i = manifest.databases.findIndex(d => 'keystoreSha256' in d)
    if (i >= 0) fail(`databases[${i}].keystoreSha256`, '…', 'a format 1 manifest records no keystore')
  }
  const owners = manifest.owners?.length ?? 0
  manifest.files.forEach((f: FileRecord, i) => {
    if (f.owner !== undefined && f.owner >= owners) {
      fail(`files[${i}].owner`, f.owner, `expected an index into the owners table (${owners} rows)`)
    }
  })
}

const encryption: Check = (v, at) =>
  object(v, at, { format: oneOf(['age'], 'an encryption format'), recipients: count, passphrase: boolean })

/**
 * Checks a parsed manifest against the schema and returns it typed. The identity comes first, so a foreign file or a
 * newer format is told as such rather than as a bad field. Throws ManifestSchemaError naming the first bad field.
 */
export function validateManifest(value: unknown): Manifest {
  const identity = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  if (identity.format !== MANIFEST_FORMAT) fail('format', identity.format, `expected '${MANIFEST_FORMAT}'`)
  const version = identity.formatVersion
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    fail('formatVersion', version, 'expected a whole number ≥ 1')
  }
  if ((version as number) > MANIFEST_VERSION) throw new NewerFormatError(version as number, identity.tool)
  object(
    value,
    '',
    {
      format: string,
      formatVersion: count,
      tool,
      createdAt: string,
      host: string,
      home,
      components: arrayOf(componentSummary),
      exclusions: arrayOf(string),
      files: arrayOf(fileRecord),
      databases: arrayOf(databaseRecord)
    },
    { owners: ownerTable, encryption }
  )
  const manifest = value as Manifest
  checkVersionFields(manifest)
  const seen = new Map<string, number>()
  manifest.databases.forEach((d: DatabaseRecord, i) => {
    for (const role of d.roles) {
      const before = seen.get(role)
      if (before !== undefined) {
        fail(`databases[${i}].roles`, d.roles, `the ${role} role is already served by databases[${before}]`)
      }
      seen.set(role, i)
    }
  })
  return manifest
}

/** The manifest is of a later format than this version knows: not forged, just newer. */
export class NewerFormatError extends Error {
  constructor(
    readonly version: number,
    tool: unknown
  ) {
    const t = (typeof tool === 'object' && tool !== null ? tool : {}) as { name?: unknown; version?: unknown }
    super(
      `format version ${version}, newer than this xlr-backup understands (${MANIFEST_VERSION}) — restore it with ` +
        `a newer version of xlr-backup (the one that made it: ${String(t.name ?? 'xlr-backup')} ${String(t.version ?? '?')})`
    )
  }
}
