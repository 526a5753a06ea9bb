import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { makePrivateTempDir, writePrivateFile } from '../shared/private-files.js'
import type { DatabaseTarget } from './types.js'

/** Seconds a client waits for a server before giving up (an unreachable host must not hang the job). */
export const CONNECT_TIMEOUT_SECONDS = 15

/**
 * Runs `fn` with a libpq environment for `target`: the password sits in a 0600 PGPASSFILE inside an owner-only
 * folder removed in `finally`, so it is in no command line and no environment block.
 */
export async function withPgEnv<T>(
  target: DatabaseTarget,
  database: string | null,
  fn: (env: Record<string, string>) => Promise<T>
): Promise<T> {
  const dir = await makePrivateTempDir('xlr-pg-')
  try {
    const env: Record<string, string> = {
      PGCONNECT_TIMEOUT: String(CONNECT_TIMEOUT_SECONDS),
      PGAPPNAME: 'xlr-backup',
      // Ignore a stray password or service file of the runner's user: only what we were given counts.
      PGPASSFILE: path.join(dir, 'pgpass'),
      PGSERVICEFILE: path.join(dir, 'pg_service.conf')
    }
    const hosts = target.hosts.length ? target.hosts : target.host ? [{ host: target.host, port: target.port }] : []
    if (hosts.length) {
      env.PGHOST = hosts.map(h => h.host).join(',')
      env.PGPORT = hosts.map(h => String(h.port ?? target.port ?? 5432)).join(',')
    } else if (target.port) env.PGPORT = String(target.port)
    if (target.username) env.PGUSER = target.username
    if (database) env.PGDATABASE = database
    const p = target.params
    const sslmode = p.sslmode ?? (/^(true|1)$/i.test(p.ssl ?? '') ? 'require' : undefined)
    if (sslmode) env.PGSSLMODE = sslmode
    if (p.sslrootcert) env.PGSSLROOTCERT = p.sslrootcert
    if (p.sslcert) env.PGSSLCERT = p.sslcert
    if (p.sslkey) env.PGSSLKEY = p.sslkey
    if (p.targetServerType) env.PGTARGETSESSIONATTRS = pgSessionAttrs(p.targetServerType)
    if (target.password !== null) await writePrivateFile(env.PGPASSFILE, `*:*:*:*:${escapePgpass(target.password)}\n`)
    return await fn(env)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function escapePgpass(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:')
}

/** pgJDBC's targetServerType → libpq's target_session_attrs. */
function pgSessionAttrs(type: string): string {
  const t = type.toLowerCase()
  if (t === 'primary' || t === 'master') return 'read-write'
  if (t === 'secondary' || t === 'slave') return 'standby'
  if (t === 'preferprimary') return 'prefer-standby'
  return 'any'
}

/**
 * Runs `fn` with a 0600 MySQL option file holding host, port, user and password (`--defaults-extra-file`, which must
 * be the tool's first argument). MYSQL_PWD is deprecated in MySQL 8, and a password argument shows in `ps`.
 */
export async function withMysqlDefaults<T>(
  target: DatabaseTarget,
  fn: (defaultsFile: string) => Promise<T>
): Promise<T> {
  const dir = await makePrivateTempDir('xlr-my-')
  try {
    const file = path.join(dir, 'client.cnf')
    const lines = ['[client]']
    if (target.host) {
      lines.push(`host=${optionValue(target.host)}`)
      // JDBC always talks TCP; the client would use the Unix socket for 'localhost'.
      lines.push('protocol=TCP')
    }
    if (target.port) lines.push(`port=${target.port}`)
    if (target.username) lines.push(`user=${optionValue(target.username)}`)
    if (target.password !== null) lines.push(`password=${optionValue(target.password)}`)
    // Only the client knows connect-timeout (mysqldump rejects it under [client]); preflight connects with the client.
    lines.push('[mysql]', `connect-timeout=${CONNECT_TIMEOUT_SECONDS}`)
    await writePrivateFile(file, lines.join('\n') + '\n')
    return await fn(file)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Quotes a value for a MySQL option file: quotes keep '#' and spaces, escapes keep backslashes and line breaks. */
function optionValue(value: string): string {
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
  if (!escaped.includes('"')) return `"${escaped}"`
  if (!escaped.includes("'")) return `'${escaped}'`
  return `"${escaped.replace(/"/g, '\\"')}"`
}
