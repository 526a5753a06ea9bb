/**
 * The environments of the processes this tool starts. GitHub hands every input to the action as `INPUT_<NAME>`
 * (secrets included) and the CLI takes secrets from `XLR_*` variables, so `process.env` holds the database passwords,
 * the passphrase and the age identity: a child that inherited it would carry them all, and so would a server that a
 * `start-command` launches. Two shapes, built here only:
 *
 * - `toolEnv`: database tools and custom database commands get the basics a program needs to run, plus only their own
 *   credential (a 0600 file path, or for a custom command the `XLR_DB_*` variables of its one database).
 * - `commandEnv`: `stop-command`/`start-command` get the environment as it is (a service manager may need any of it)
 *   minus every secret.
 */

/** What any program needs: the search path, locale, time zone, home, temp folder, and Windows' system variables. */
const BASIC_NAMES = new Set(
  [
    'PATH',
    'HOME',
    'USER',
    'LOGNAME',
    'LANG',
    'LANGUAGE',
    'TZ',
    'TMPDIR',
    'TMP',
    'TEMP',
    'LD_LIBRARY_PATH',
    'DYLD_LIBRARY_PATH',
    // Windows: without these a child cannot even start cmd.exe or find its profile.
    'SYSTEMROOT',
    'WINDIR',
    'COMSPEC',
    'PATHEXT',
    'USERPROFILE',
    'APPDATA',
    'LOCALAPPDATA',
    'PROGRAMDATA',
    'PROGRAMFILES',
    'SYSTEMDRIVE'
  ].map(n => n.toUpperCase())
)

/** Client configuration (never credentials) that vendor tools of custom commands look for: Oracle, DB2, Java. */
const VENDOR_NAMES = new Set([
  'ORACLE_HOME',
  'ORACLE_BASE',
  'ORACLE_SID',
  'TNS_ADMIN',
  'NLS_LANG',
  'DB2INSTANCE',
  'DB2_HOME',
  'JAVA_HOME'
])

/** Variables that carry the runner's own credentials (artifact/cache service, OIDC, the workflow token). */
const RUNNER_SECRET_NAMES = [/^INPUT_/i, /^ACTIONS_RUNTIME_TOKEN$/i, /^ACTIONS_ID_TOKEN_REQUEST_/i, /^GITHUB_TOKEN$/i]

const knownSecrets = new Set<string>()

/**
 * Remembers a secret value so that no variable holding it reaches a `stop-command`/`start-command`. Every secret
 * passes through `Logger.secret` (inputs, config passwords, URL passwords), which calls this.
 */
export function rememberSecret(value: string | null | undefined): void {
  if (value?.trim()) knownSecrets.add(value.trim())
}

/** Equal to a secret, or containing one long enough that the match is no coincidence (e.g. a connection string). */
function holdsSecret(value: string): boolean {
  const v = value.trim()
  for (const secret of knownSecrets) if (v === secret || (secret.length >= 8 && v.includes(secret))) return true
  return false
}

function entries(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)
}

function isBasic(name: string, vendor: boolean): boolean {
  const upper = name.toUpperCase()
  return BASIC_NAMES.has(upper) || upper.startsWith('LC_') || (vendor && VENDOR_NAMES.has(upper))
}

/**
 * A database tool's environment: the basics from `env` plus `own` (its credential file path, its libpq settings, or
 * a custom command's XLR_DB_* variables). `vendor` also passes the Oracle/DB2/Java client configuration variables.
 */
export function toolEnv(
  own: Record<string, string> = {},
  options: { vendor?: boolean; env?: NodeJS.ProcessEnv } = {}
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of entries(options.env ?? process.env))
    if (isBasic(name, options.vendor ?? false)) out[name] = value
  return { ...out, ...own }
}

/** The environment of a `stop-command`/`start-command`: everything but the action's inputs, tokens and secrets. */
export function commandEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of entries(env)) {
    if (RUNNER_SECRET_NAMES.some(p => p.test(name))) continue
    if (holdsSecret(value)) continue
    out[name] = value
  }
  return out
}
