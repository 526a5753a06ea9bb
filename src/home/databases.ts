import type { Logger } from '../shared/logger.js'
import { readFileSync } from 'node:fs'
import { passwordsInJdbcUrl } from '../shared/jdbc-redact.js'
import { getObject, getString, getValue, hasPath, type HoconConfig } from './hocon.js'
import type { JackrabbitComponent } from './jackrabbit-xml.js'
import type { ConfiguredDatabase, ConfiguredDatabases, DatabaseRole, UnresolvedDatabaseUrls } from './types.js'

/** The keys of each database block of xl-release.conf, by era and role. */
export const DATABASE_KEYS = {
  sql: {
    repository: 'xl.database',
    archive: 'xl.reporting',
    url: 'db-url',
    username: 'db-username',
    password: 'db-password',
    driver: 'db-driver-classname'
  },
  jcr: { repository: 'xl.repository.persistence', url: 'jdbcUrl', username: 'username', password: 'password' }
} as const

/**
 * The databases xl-release.conf configures: `xl.database` (repository) and `xl.reporting` (archive) of the SQL era,
 * or the JCR era's `xl.repository.persistence` (repository) when there is no `xl.database`. A block without a URL
 * configures no database (the embedded default stays). Every password found is registered as a secret.
 */
export function databasesFromHocon(config: HoconConfig, confName: string, logger: Logger): ConfiguredDatabases {
  const databases: ConfiguredDatabases = {}
  const sql = DATABASE_KEYS.sql
  const fromBlock = (
    role: DatabaseRole,
    block: string,
    keys: { url: string; username: string; password: string; driver?: string }
  ): ConfiguredDatabase | undefined => {
    if (getObject(config, block) === undefined) return undefined
    const at = (key: string): string[] => [...block.split('.'), key]
    const url = getString(config, at(keys.url))
    if (url === undefined || url.trim() === '') return undefined
    const password = getString(config, at(keys.password)) ?? null
    registerSecrets(logger, url, password)
    return {
      role,
      url,
      username: getString(config, at(keys.username)) ?? null,
      password,
      driver: keys.driver ? (getString(config, at(keys.driver)) ?? null) : null,
      source: `${confName}: ${block}`
    }
  }
  databases.repository =
    fromBlock('repository', sql.repository, sql) ??
    fromBlock('repository', DATABASE_KEYS.jcr.repository, DATABASE_KEYS.jcr)
  databases.archive = fromBlock('archive', sql.archive, sql)
  for (const role of ['repository', 'archive'] as const) if (!databases[role]) delete databases[role]
  return databases
}

/**
 * Database URL keys the config writes but that resolve to nothing for this job: `db-url = ${?XL_DB_URL}` where the
 * variable is set only in the server's service environment (the optional substitution then drops the key), or a
 * required `${X}` kept as text. The server has a database there that this job cannot see; the backup must not take
 * the role for embedded. Returns the key, the file and line that set it, and that line's text.
 */
export function unresolvedDatabaseUrls(config: HoconConfig): UnresolvedDatabaseUrls {
  const found: UnresolvedDatabaseUrls = {}
  const sql = DATABASE_KEYS.sql
  const jcr = DATABASE_KEYS.jcr
  const candidates: [DatabaseRole, string][] = [
    ['repository', `${sql.repository}.${sql.url}`],
    ['repository', `${jcr.repository}.${jcr.url}`],
    ['archive', `${sql.archive}.${sql.url}`]
  ]
  for (const [role, key] of candidates) {
    if (found[role]) continue
    const origin = config.originOf(key)
    if (!origin) continue
    const value = hasPath(config, key) ? getValue(config, key) : undefined
    const text = typeof value === 'string' ? value.trim() : value
    if (text !== undefined && text !== null && text !== '' && !(typeof text === 'string' && text.includes('${')))
      continue
    found[role] = { key, file: origin.file, line: origin.line, text: lineOf(origin.file, origin.line) }
  }
  return found
}

function lineOf(file: string, line: number): string {
  try {
    return (readFileSync(file, 'utf8').split(/\r?\n/)[line - 1] ?? '').trim()
  } catch {
    return ''
  }
}

/** Whether the config has SQL-era (`xl.database`, `xl.reporting`) or JCR-era (`xl.repository`) settings. */
export function configEraMarkers(config: HoconConfig): { sql: boolean; jcr: boolean } {
  return {
    sql: hasPath(config, 'xl.database') || hasPath(config, 'xl.reporting'),
    jcr: hasPath(config, 'xl.repository')
  }
}

/**
 * The repository database of conf/jackrabbit-repository.xml: the first PersistenceManager with a `url` param
 * (workspace before versioning, as the file lists them). Its password is registered as a secret, as are those of
 * every other component. Components that use another database (a DbDataStore, a DbFileSystem) are returned in
 * `others` so the caller can warn that they need a backup too.
 */
export function databaseFromJackrabbit(
  components: JackrabbitComponent[],
  xmlName: string,
  logger: Logger
): { repository?: ConfiguredDatabase; others: JackrabbitComponent[] } {
  for (const c of components) registerSecrets(logger, c.params.url ?? '', c.params.password ?? null)
  const withUrl = components.filter(c => c.params.url)
  const pm = withUrl.find(c => c.element === 'PersistenceManager')
  const others = withUrl.filter(c => c !== pm && c.params.url !== pm?.params.url)
  if (!pm) return { others }
  return {
    repository: {
      role: 'repository',
      url: pm.params.url,
      username: pm.params.user ?? null,
      password: pm.params.password ?? null,
      driver: pm.params.driver ?? null,
      source: `${xmlName}: ${pm.location}`
    },
    others
  }
}

/** Masks a password and every password a JDBC URL carries (every form: see shared/jdbc-redact.ts). */
export function registerSecrets(logger: Logger, url: string, password: string | null): void {
  if (password) logger.secret(password)
  for (const secret of passwordsInJdbcUrl(url)) logger.secret(secret)
}
