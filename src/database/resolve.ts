import type { ConfiguredDatabase, DatabaseRole, HomeInfo, UnresolvedDatabaseUrl } from '../home/types.js'
import { InputError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import {
  DEFAULT_PORTS,
  parseJdbcUrl,
  passwordInParams,
  passwordsInJdbcUrl,
  redactJdbcUrl,
  withoutPassword
} from './jdbc-url.js'
import { BUILT_IN_ENGINES, type DatabaseSettings, type DatabaseTarget, type Engine } from './types.js'
import { Input } from '../shared/io-names.js'

/** The inputs of each role, named once: every message about a role's database names these. */
export const DATABASE_INPUTS: Record<DatabaseRole, { url: Input; username: Input; password: Input }> = {
  repository: { url: Input.DatabaseUrl, username: Input.DatabaseUsername, password: Input.DatabasePassword },
  archive: {
    url: Input.ArchiveDatabaseUrl,
    username: Input.ArchiveDatabaseUsername,
    password: Input.ArchiveDatabasePassword
  }
}

const ROLES: DatabaseRole[] = ['repository', 'archive']

/** The server rewrites config passwords as `{b64}…` at first start: encrypted with its key, unusable by a client. */
export function isEncryptedPassword(value: string): boolean {
  return /^\{b64\}/i.test(value.trim())
}

/**
 * Works out which databases to dump: per role from the home's config, each value overridden by its input. Two roles on
 * one database become one target. Throws InputError (naming the input to set) before anything has run.
 */
export function resolveDatabases(home: HomeInfo, settings: DatabaseSettings, logger: Logger): DatabaseTarget[] {
  if (settings.mode === 'none') {
    logger.info(`Databases: skipped ('${Input.Database}: none').`)
    return []
  }
  const targets: DatabaseTarget[] = []
  for (const role of ROLES) {
    const target = resolveRole(role, home, settings, logger)
    const same = targets.find(t => sameDatabase(t, target))
    if (same) {
      same.roles.push(role)
      if (target.source === 'input') same.source = 'input'
      logger.info(`The ${role} database is the same as the ${same.roles[0]} database (${describe(same)}): dumped once.`)
    } else targets.push(target)
  }
  return targets
}

function resolveRole(role: DatabaseRole, home: HomeInfo, settings: DatabaseSettings, logger: Logger): DatabaseTarget {
  const names = DATABASE_INPUTS[role]
  const inputs = settings[role]
  const config: ConfiguredDatabase | undefined = home.databases[role]
  for (const value of [inputs.password, config?.password]) if (value) logger.secret(value)
  const fromInput = Boolean(inputs.url || inputs.username || inputs.password)
  const url = inputs.url?.trim() || config?.url?.trim() || ''
  const unresolved = home.unresolvedDatabaseUrls?.[role]
  if (!inputs.url?.trim() && unresolved && (!url || url.includes('${'))) throw unresolvedUrl(role, unresolved)

  if (!url) {
    if (inputs.username || inputs.password) {
      throw new InputError(
        names.url,
        `'${inputs.password ? names.password : names.username}' is set but no URL is known for the ${role} database ` +
          `(the home's config has none): set '${names.url}' too.`
      )
    }
    return embeddedDefault(role, home)
  }

  const parsed = parseJdbcUrl(url)
  const urlPassword = passwordInParams(parsed.params)
  for (const secret of [urlPassword, ...passwordsInJdbcUrl(url)]) if (secret) logger.secret(secret)
  const shownUrl = redactJdbcUrl(url)
  const where = inputs.url ? `the '${names.url}' input` : (config?.source ?? 'the home config')

  let engine: Engine = parsed.engine
  if (settings.mode !== 'auto' && settings.mode !== 'none' && !parsed.embedded) {
    if (engine !== 'unknown' && engine !== settings.mode)
      logger.warning(
        `The ${role} database URL looks like ${engine}; using ${settings.mode} as the '${Input.Database}' input says.`
      )
    engine = settings.mode
  }
  if (engine === 'unknown') {
    throw new InputError(
      inputs.url ? names.url : Input.Database,
      `Cannot tell the engine of the ${role} database from ${where} (${shownUrl}): ${parsed.problem ?? 'unknown driver'}. ` +
        `Fix the URL with '${names.url}', or name the engine with the '${Input.Database}' input ` +
        `(postgresql, mysql, mariadb, oracle, sqlserver, db2) and set '${Input.DatabaseBackupCommand}'.`
    )
  }

  const username = inputs.username?.trim() || config?.username || parsed.params.user || parsed.params.username || null
  let password: string | null = inputs.password ?? null
  if (password === null) {
    const configured = config?.password ?? null
    if (configured && isEncryptedPassword(configured)) {
      // An embedded database is copied with the home, never logged into: its encrypted password is not needed.
      if (!parsed.embedded) {
        const [file, key] = (config?.source ?? 'the home config').split(/:\s*/, 2)
        throw new InputError(
          names.password,
          `${file} has an encrypted password${key ? ` for ${key}` : ''} (the server encrypts it at first start); ` +
            `set the '${names.password}' input (from a secret).`
        )
      }
    } else password = configured || urlPassword
  }
  if (!parsed.embedded && BUILT_IN_ENGINES.includes(engine) && !username) {
    throw new InputError(
      names.username,
      `No user is known for the ${role} database (${shownUrl}): set the '${names.username}' input.`
    )
  }

  return {
    roles: [role],
    engine,
    url: shownUrl,
    host: parsed.host,
    port: parsed.port ?? (parsed.embedded ? null : (DEFAULT_PORTS[engine] ?? null)),
    hosts: parsed.hosts,
    database: parsed.database ?? (engine === 'postgresql' ? username : null),
    params: withoutPassword(parsed.params),
    username,
    password,
    embedded: parsed.embedded,
    source: fromInput ? 'input' : 'config',
    configSource: config?.source
  }
}

/**
 * The config sets the role's URL from a variable this job does not have: the server does have a database there
 * (most likely external), so taking the role for embedded would make a backup without it.
 */
function unresolvedUrl(role: DatabaseRole, u: UnresolvedDatabaseUrl): InputError {
  const names = DATABASE_INPUTS[role]
  return new InputError(
    names.url,
    `${u.file}:${u.line} sets ${u.key} from a substitution that is not set for this job (${u.text}): the server ` +
      `gets it from its own environment (its service or container), so this job cannot tell which ${role} database ` +
      `it uses, and taking it for the embedded one would leave the database out of the backup. Set ` +
      `'${names.url}' (with '${names.username}' and '${names.password}') to the database the server uses, export ` +
      `the variable for this job too, or set 'database: none' to leave the databases out deliberately.`
  )
}

/** No URL anywhere: the server uses its embedded database inside the home (H2 for 10.x's repository, else Derby). */
function embeddedDefault(role: DatabaseRole, home: HomeInfo): DatabaseTarget {
  const engine: Engine = role === 'repository' && home.era !== 'jcr' ? 'h2' : 'derby'
  return {
    roles: [role],
    engine,
    url: '',
    host: null,
    port: null,
    hosts: [],
    database: role === 'repository' ? 'repository/' : 'archive/',
    params: {},
    username: null,
    password: null,
    embedded: true,
    source: 'config'
  }
}

function sameDatabase(a: DatabaseTarget, b: DatabaseTarget): boolean {
  if (a.embedded !== b.embedded) return false
  if (a.embedded) return a.url !== '' && a.url === b.url
  return (
    a.engine === b.engine &&
    (a.host ?? '').toLowerCase() === (b.host ?? '').toLowerCase() &&
    a.port === b.port &&
    a.database === b.database &&
    (a.params.instanceName ?? '') === (b.params.instanceName ?? '')
  )
}

/** 'postgresql 127.0.0.1:5432/xlrelease (repository)' — never a password. */
export function describe(t: DatabaseTarget): string {
  if (t.embedded)
    return `embedded ${t.engine} ${t.url || t.database || ''} (${t.roles.join(' + ')})`.replace(/\s+/g, ' ')
  const host = t.host?.includes(':') ? `[${t.host}]` : (t.host ?? 'local')
  return `${t.engine} ${host}${t.port ? `:${t.port}` : ''}/${t.database ?? ''} (${t.roles.join(' + ')})`
}
