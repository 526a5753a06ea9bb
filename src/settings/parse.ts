import * as os from 'node:os'
import * as path from 'node:path'
import { InputError } from '../shared/errors.js'
import { Input, INPUTS } from './inputs.js'
import type { Downtime, Mode, OwnerSpec, Settings } from './settings.js'
import { parseClusterNodes, parseHealthUrl } from './server-inputs.js'
import type { Engine } from '../database/types.js'
import type { StorageKind, StorageSettings } from '../storage/types.js'
import { parseRotation } from './parse-rotation.js'
import {
  KEYGEN_HINT,
  KeyFormatError,
  parsePrivateKey,
  parseTrustedKey,
  type SigningKey,
  type TrustedKey
} from '../signing/ssh-keys.js'

/** Reads one raw input by name ('' when unset). The action passes core.getInput, the CLI its parsed flags. */
export type InputReader = (name: Input) => string

const MODES: Mode[] = ['backup', 'restore', 'verify', 'prune']
const STORAGES: StorageKind[] = ['artifact', 'directory', 'cache', 's3', 'azure']
const DOWNTIMES: Downtime[] = ['minimal', 'full']
const DATABASE_MODES = ['auto', 'none', 'postgresql', 'mysql', 'mariadb', 'oracle', 'sqlserver', 'db2']
/** Characters the artifact service refuses in names; refused for every storage so a name works everywhere. */
const FORBIDDEN_NAME_CHARS = /[":<>|*?\r\n\\/]/

/**
 * Inputs that only some modes or storages read. Outside their scope they are not read, so a value they would refuse
 * cannot fail a run that does not use them: GitHub's own `@github/local-action`, for one, passes the literal
 * `${{ github.repository }}` default of `repository` to a backup into a folder.
 */
const SCOPES: Partial<Record<Input, { modes?: Mode[]; storages?: StorageKind[] }>> = {
  [Input.RunId]: { modes: ['restore', 'verify'] },
  [Input.Repository]: { storages: ['artifact'] },
  [Input.RetentionDays]: { modes: ['backup'], storages: ['artifact'] },
  [Input.CompressionLevel]: { modes: ['backup'] },
  [Input.Exclude]: { modes: ['backup'] },
  [Input.Downtime]: { modes: ['backup'] },
  [Input.Port]: { modes: ['backup', 'restore'] },
  [Input.StopTimeout]: { modes: ['backup', 'restore'] },
  [Input.StartTimeout]: { modes: ['backup', 'restore'] },
  [Input.Components]: { modes: ['restore'] },
  [Input.PreviousPath]: { modes: ['restore'] },
  [Input.SafetyDump]: { modes: ['restore'] },
  [Input.ResetIndexes]: { modes: ['restore'] },
  [Input.AllowVersionMismatch]: { modes: ['restore'] },
  [Input.InterruptedRestore]: { modes: ['restore'] },
  [Input.HealthUrl]: { modes: ['backup', 'restore'] },
  [Input.ClusterNodes]: { modes: ['backup', 'restore'] },
  [Input.KeepLast]: { modes: ['backup', 'prune'] },
  [Input.KeepDaily]: { modes: ['backup', 'prune'] },
  [Input.KeepWeekly]: { modes: ['backup', 'prune'] },
  [Input.KeepMonthly]: { modes: ['backup', 'prune'] },
  [Input.KeepYearly]: { modes: ['backup', 'prune'] },
  [Input.MaxAge]: { modes: ['verify'] },
  [Input.Bucket]: { storages: ['s3', 'azure'] },
  [Input.Endpoint]: { storages: ['s3', 'azure'] },
  [Input.Region]: { storages: ['s3'] },
  [Input.ForcePathStyle]: { storages: ['s3'] },
  [Input.ImmutableDays]: { modes: ['backup'], storages: ['s3', 'azure'] },
  [Input.ImmutableMode]: { modes: ['backup'], storages: ['s3', 'azure'] },
  [Input.Owner]: { modes: ['restore'] },
  [Input.AllowKeystoreMismatch]: { modes: ['restore'] },
  [Input.MaintenanceMode]: { modes: ['restore'] }
}

/** Turns raw inputs into validated Settings, throwing an InputError that names the input, the value and the fix. */
export function parseSettings(read: InputReader, env: NodeJS.ProcessEnv = process.env): Settings {
  const raw = (name: Input): string => read(name).trim() || defaultOf(name)
  const mode = oneOf(Input.Mode, raw(Input.Mode), MODES)
  const storageKind = oneOf(Input.Storage, raw(Input.Storage), STORAGES)
  const get = (name: Input): string => {
    const scope = SCOPES[name]
    const used =
      (!scope?.modes || scope.modes.includes(mode)) && (!scope?.storages || scope.storages.includes(storageKind))
    return used ? raw(name) : defaultOf(name)
  }
  const homeRaw = get(Input.Home)
  if ((mode === 'backup' || mode === 'restore') && homeRaw === '') {
    throw new InputError(
      Input.Home,
      `Input '${Input.Home}' is required for mode '${mode}': set it to the XL Release server home (the folder holding conf/ and lib/).`
    )
  }
  const storagePath = get(Input.Path)
  if (storageKind === 'directory' && storagePath === '') {
    throw new InputError(
      Input.Path,
      `'${Input.Storage}: directory' needs the '${Input.Path}' input: the folder that holds the backups.`
    )
  }
  const name = get(Input.Name)
  const namePrefix = get(Input.NamePrefix)
  const picksOne = mode === 'restore' || mode === 'verify'
  if (picksOne && name && namePrefix) {
    throw new InputError(
      Input.NamePrefix,
      `Set either '${Input.Name}' (an exact backup) or '${Input.NamePrefix}' (the newest backup with that prefix), not both.`
    )
  }
  for (const [input, value] of [
    [Input.Name, name],
    [Input.NamePrefix, namePrefix]
  ] as const) {
    if (FORBIDDEN_NAME_CHARS.test(value)) {
      throw new InputError(
        input,
        `Input '${input}' (${JSON.stringify(value)}) contains a character backups cannot be named with: " : < > | * ? \\ / or a line break. Use letters, digits, '-', '_' and '.'.`
      )
    }
  }
  if (picksOne && storageKind !== 'directory' && !name && !namePrefix) {
    throw new InputError(
      Input.Name,
      `Mode '${mode}' needs '${Input.Name}' (an exact backup name) or '${Input.NamePrefix}' (the newest backup with that prefix).`
    )
  }
  if (picksOne && storageKind === 'directory' && !name && !namePrefix) {
    throw new InputError(
      Input.Name,
      `Mode '${mode}' needs '${Input.Name}' (an exact backup name) or '${Input.NamePrefix}' (the newest backup with that prefix) to pick a backup from '${storagePath}'.`
    )
  }
  const runIdRaw = get(Input.RunId)
  const runId = runIdRaw === '' ? null : integer(Input.RunId, runIdRaw, 1, Number.MAX_SAFE_INTEGER)
  if (runId !== null && storageKind === 'cache') {
    throw new InputError(
      Input.RunId,
      `Input '${Input.RunId}' only applies to '${Input.Storage}: artifact'; the cache is shared by the repository's runs: remove '${Input.RunId}'.`
    )
  }
  const repository = get(Input.Repository) || env.GITHUB_REPOSITORY || ''
  if (repository && !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new InputError(
      Input.Repository,
      `Input '${Input.Repository}' must be 'owner/name', got ${JSON.stringify(repository)}.`
    )
  }
  const githubToken = get(Input.GithubToken)
  const retentionRaw = get(Input.RetentionDays)
  // As actions/upload-artifact: 0 is the repository's default, and the toolkit caps a value above the repository's
  // maximum with a warning; 400 days is the most any repository allows.
  const retentionDays = retentionRaw === '' ? null : integer(Input.RetentionDays, retentionRaw, 0, 400) || null

  const home = homeRaw === '' ? '' : path.resolve(homeRaw)
  const effectiveName =
    mode === 'backup'
      ? name || (namePrefix ? namePrefix + backupStamp(new Date()) : defaultBackupName(new Date()))
      : name
  const dryRun = boolean(Input.DryRun, get(Input.DryRun))

  const portRaw = get(Input.Port)
  const jobs = integer(Input.DatabaseJobs, get(Input.DatabaseJobs), 1, 64)
  const recipients = lines(get(Input.EncryptionRecipients))
  const passphrase = read(Input.EncryptionPassphrase)
  const identities = lines(read(Input.DecryptionIdentity))

  return {
    mode,
    home,
    storage: {
      kind: storageKind,
      path: isObjectStore(storageKind) ? keyPrefix(storagePath) : storagePath === '' ? '' : path.resolve(storagePath),
      name: effectiveName,
      namePrefix,
      runId,
      repository,
      githubToken,
      retentionDays,
      trust: {
        anyRun: boolean(Input.TrustAnyRun, get(Input.TrustAnyRun)),
        branch: get(Input.BackupBranch),
        workflow: workflowFile(get(Input.BackupWorkflow))
      },
      ...objectStoreSettings(storageKind, get, env),
      threads: integer(Input.Threads, get(Input.Threads), 0, 256)
    },
    backup: {
      compressionLevel: integer(Input.CompressionLevel, get(Input.CompressionLevel), 0, 9),
      exclude: lines(get(Input.Exclude)),
      downtime: oneOf(Input.Downtime, get(Input.Downtime), DOWNTIMES)
    },
    server: {
      port: portRaw === '' ? null : integer(Input.Port, portRaw, 1, 65535),
      stopCommand: get(Input.StopCommand),
      startCommand: get(Input.StartCommand),
      stopTimeoutSeconds: integer(Input.StopTimeout, get(Input.StopTimeout), 1, 86400),
      startTimeoutSeconds: integer(Input.StartTimeout, get(Input.StartTimeout), 1, 86400),
      healthUrl: parseHealthUrl(get(Input.HealthUrl)),
      clusterNodes: parseClusterNodes(lines(get(Input.ClusterNodes)))
    },
    database: {
      mode: oneOf(Input.Database, get(Input.Database), DATABASE_MODES) as 'auto' | 'none' | Engine,
      repository: role(read, Input.DatabaseUrl, Input.DatabaseUsername, Input.DatabasePassword),
      archive: role(read, Input.ArchiveDatabaseUrl, Input.ArchiveDatabaseUsername, Input.ArchiveDatabasePassword),
      jobs,
      backupCommand: get(Input.DatabaseBackupCommand) || undefined,
      restoreCommand: get(Input.DatabaseRestoreCommand) || undefined
    },
    restore: {
      components: get(Input.Components),
      previousPath: get(Input.PreviousPath) === '' ? '' : path.resolve(get(Input.PreviousPath)),
      safetyDump: boolean(Input.SafetyDump, get(Input.SafetyDump)),
      resetIndexes: oneOf(Input.ResetIndexes, get(Input.ResetIndexes), ['auto', 'true', 'false'] as const),
      allowVersionMismatch: boolean(Input.AllowVersionMismatch, get(Input.AllowVersionMismatch)),
      allowForeignDatabase: boolean(Input.AllowForeignDatabase, get(Input.AllowForeignDatabase)),
      createDatabase: boolean(Input.CreateDatabase, get(Input.CreateDatabase)),
      interrupted: oneOf(Input.InterruptedRestore, get(Input.InterruptedRestore), ['', 'rollback', 'finish'] as const),
      dryRun,
      owner: parseOwner(get(Input.Owner)),
      allowKeystoreMismatch: boolean(Input.AllowKeystoreMismatch, get(Input.AllowKeystoreMismatch)),
      maintenanceMode: oneOf(Input.MaintenanceMode, get(Input.MaintenanceMode), ['auto', 'true', 'false'] as const)
    },
    encryption: { recipients, passphrase: passphrase === '' ? undefined : passphrase },
    decryption: { identities, passphrase: passphrase === '' ? undefined : passphrase },
    requireEncryption: boolean(Input.RequireEncryption, get(Input.RequireEncryption)),
    signing: {
      key: mode === 'backup' ? signingKey(read(Input.SigningKey)) : null,
      trustedSigners: trustedSigners(get(Input.TrustedSigners))
    },
    threads: integer(Input.Threads, get(Input.Threads), 0, 256),
    rotation: parseRotation(
      get,
      mode,
      { name: effectiveName, namePrefix },
      dryRun,
      (storageKind === 'artifact' || storageKind === 'cache') && githubToken === ''
    )
  }
}

function signingKey(text: string): SigningKey | null {
  if (text.trim() === '') return null
  try {
    return parsePrivateKey(text)
  } catch (error) {
    if (!(error instanceof KeyFormatError)) throw error
    // The message describes the key's form only: never a byte of the secret.
    throw new InputError(
      Input.SigningKey,
      `Input '${Input.SigningKey}' is not an unencrypted OpenSSH Ed25519 private key: ${error.message}. ` +
        `Pass the whole private key file from a secret; ${KEYGEN_HINT}.`
    )
  }
}

function trustedSigners(text: string): TrustedKey[] {
  return lines(text).map((line, index) => {
    try {
      return parseTrustedKey(line)
    } catch (error) {
      if (!(error instanceof KeyFormatError)) throw error
      throw new InputError(
        Input.TrustedSigners,
        `Input '${Input.TrustedSigners}' line ${index + 1} (${JSON.stringify(line.slice(0, 60))}) is not an Ed25519 public key: ` +
          `${error.message}. Give the signing key's public line ('ssh-ed25519 AAAA… comment', the .pub file).`
      )
    }
  })
}

/** A workflow is named by its file: '.github/workflows/x.yml' and 'x.yml' both mean 'x.yml'. */
function workflowFile(value: string): string {
  const file = value.replace(/^.*\//, '')
  if (value !== '' && !/^[\w.-]+\.ya?ml$/.test(file)) {
    throw new InputError(
      Input.BackupWorkflow,
      `Input '${Input.BackupWorkflow}' must be a workflow file name such as 'nightly-backup.yml', got ${JSON.stringify(value)}.`
    )
  }
  return file
}

/** The table's default; '${{ … }}' defaults are filled in by the runner, so outside it they mean unset. */
function defaultOf(name: Input): string {
  const fallback = INPUTS.find(i => i.name === name)?.default ?? ''
  return fallback.startsWith('${{') ? '' : fallback
}

/** 'xlr-backup-<host>-<UTC yyyymmddThhmmssZ>': unique per host and second, and sorts by time. */
export function defaultBackupName(now: Date, host: string = os.hostname()): string {
  const stamp = backupStamp(now)
  const safeHost = host.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^-+|-+$/g, '') || 'host'
  return `xlr-backup-${safeHost}-${stamp}`
}

/** UTC 'yyyymmddThhmmssZ': sorts by time. */
function backupStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

function role(
  read: InputReader,
  url: Input,
  username: Input,
  password: Input
): { url?: string; username?: string; password?: string } {
  const u = read(url).trim()
  const n = read(username).trim()
  // Passwords are taken verbatim: leading or trailing spaces can be part of one.
  const p = read(password)
  return { ...(u ? { url: u } : {}), ...(n ? { username: n } : {}), ...(p ? { password: p } : {}) }
}

function oneOf<T extends string>(input: Input, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  const shown = allowed.map(a => (a === '' ? "'' (unset)" : `'${a}'`)).join(', ')
  throw new InputError(input, `Input '${input}' has the value ${JSON.stringify(value)}; valid values are ${shown}.`)
}

function integer(input: Input, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value)) {
    throw new InputError(
      input,
      `Input '${input}' must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`
    )
  }
  const n = Number(value)
  if (n < min || n > max) {
    throw new InputError(input, `Input '${input}' must be from ${min} to ${max}, got ${n}.`)
  }
  return n
}

function boolean(input: Input, value: string): boolean {
  // The YAML 1.2 core schema booleans, as core.getBooleanInput accepts them.
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(input, `Input '${input}' must be 'true' or 'false', got ${JSON.stringify(value)}.`)
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(l => l !== '' && !l.startsWith('#'))
}

function isObjectStore(kind: StorageKind): kind is 's3' | 'azure' {
  return kind === 's3' || kind === 'azure'
}

/** 'path' of an object store: a key prefix like a folder path, never with '.', '..' or empty segments. */
function keyPrefix(value: string): string {
  const prefix = value.replace(/^\/+|\/+$/g, '')
  if (prefix.split('/').some(part => part === '' || part === '.' || part === '..') && prefix !== '') {
    throw new InputError(
      Input.Path,
      `Input '${Input.Path}' (${JSON.stringify(value)}) is a key prefix inside the bucket: segments separated by '/', none of them empty, '.' or '..' (e.g. 'xlr/prod').`
    )
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(prefix) || prefix.length > 512) {
    throw new InputError(
      Input.Path,
      `Input '${Input.Path}' (${JSON.stringify(value)}) may not hold control characters or backslashes, nor be longer than 512 characters.`
    )
  }
  return prefix
}

/** The inputs of 'storage: s3' and 'storage: azure'; defaults for the other storages. */
function objectStoreSettings(
  kind: StorageKind,
  get: (name: Input) => string,
  env: NodeJS.ProcessEnv
): Pick<StorageSettings, 'bucket' | 'endpoint' | 'region' | 'forcePathStyle' | 'immutableDays' | 'immutableMode'> {
  const bucket = get(Input.Bucket)
  if (isObjectStore(kind) && bucket === '') {
    throw new InputError(
      Input.Bucket,
      `'${Input.Storage}: ${kind}' needs the '${Input.Bucket}' input: the ${kind === 's3' ? 'bucket' : 'container'} that holds the backups.`
    )
  }
  const bucketShape =
    kind === 'azure' ? /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/ : /^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/
  if (isObjectStore(kind) && !bucketShape.test(bucket)) {
    throw new InputError(
      Input.Bucket,
      `Input '${Input.Bucket}' (${JSON.stringify(bucket)}) is not a valid ${kind === 's3' ? 'bucket' : 'container'} name: ` +
        (kind === 's3'
          ? 'lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.'
          : '3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.')
    )
  }
  const endpoint = get(Input.Endpoint).replace(/\/+$/, '')
  if (endpoint !== '') checkEndpoint(endpoint)
  if (kind === 'azure' && endpoint === '' && !env.AZURE_STORAGE_CONNECTION_STRING) {
    throw new InputError(
      Input.Endpoint,
      `'${Input.Storage}: azure' needs '${Input.Endpoint}' (the account URL, https://<account>.blob.core.windows.net), or AZURE_STORAGE_CONNECTION_STRING in the step's 'env:' from a secret.`
    )
  }
  const region = get(Input.Region) || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'
  if (!/^[a-z0-9-]{1,64}$/.test(region)) {
    throw new InputError(
      Input.Region,
      `Input '${Input.Region}' must be a region name such as 'eu-west-1', got ${JSON.stringify(region)}.`
    )
  }
  const daysRaw = get(Input.ImmutableDays)
  return {
    bucket,
    endpoint,
    region,
    forcePathStyle: boolean(Input.ForcePathStyle, get(Input.ForcePathStyle)),
    immutableDays: daysRaw === '' ? null : integer(Input.ImmutableDays, daysRaw, 1, 36500),
    immutableMode: oneOf(Input.ImmutableMode, get(Input.ImmutableMode), ['governance', 'compliance'] as const)
  }
}

/** An https URL (http only to this machine, for local test servers), without credentials, query or fragment. */
function checkEndpoint(value: string): void {
  let url: URL | null = null
  try {
    url = new URL(value)
  } catch {
    // reported below
  }
  const local = url !== null && /^(127\.0\.0\.1|localhost|\[::1\])$/.test(url.hostname)
  if (
    url === null ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && local)) ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new InputError(
      Input.Endpoint,
      `Input '${Input.Endpoint}' must be an https:// URL without credentials or query (http:// only for 127.0.0.1/localhost), e.g. 'https://storage.googleapis.com'.`
    )
  }
}

/** POSIX portable user and group names (useradd's default rule, plus the '$' of machine accounts). */
const OWNER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/
/** The largest id chown takes: (uid_t)-1 means 'unchanged'. */
const MAX_ID = 2 ** 32 - 2

/** Input 'owner': 'user:group', each a name or a number; '' = keep the owners the backup recorded. */
function parseOwner(value: string): OwnerSpec | null {
  if (value === '') return null
  const parts = value.split(':')
  const side = (text: string): string | number | null => {
    if (/^\d{1,10}$/.test(text)) return Number(text) <= MAX_ID ? Number(text) : null
    return OWNER_NAME.test(text) ? text : null
  }
  const user = parts.length === 2 ? side(parts[0]) : null
  const group = parts.length === 2 ? side(parts[1]) : null
  if (user === null || group === null) {
    throw new InputError(
      Input.Owner,
      `Input '${Input.Owner}' must be 'user:group', each a name or a number (e.g. 'xl-release:xl-release' or '10001:0'), got ${JSON.stringify(value.slice(0, 80))}.`
    )
  }
  return { user, group }
}
