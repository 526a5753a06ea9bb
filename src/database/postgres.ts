import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import type { DatabaseRecord } from '../format/manifest.js'
import { DatabaseError } from '../shared/errors.js'
import { PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { withPgEnv } from './credentials.js'
import { toolFailure } from './failures.js'
import { describe } from './resolve.js'
import { findOnPath, runTool } from './run-tool.js'
import type { Logger } from '../shared/logger.js'
import { formatBytes } from '../shared/progress.js'
import { dirContents } from './custom-command.js'
import type { DatabaseTarget, RestoreDbOptions, RestoreHooks } from './types.js'
import { Input } from '../shared/io-names.js'

export const PG_CUSTOM_FILE = 'dump.pgdump'
export const PG_DIRECTORY_FILE = 'dump.pgdir'

export interface PgTool {
  name: string
  path: string
  version: string
  /** 150020 for 15.20, 90624 for 9.6.24: comparable with server_version_num. */
  versionNum: number
}

export interface PgServer {
  versionNum: number
  version: string
}

/** 150020 → 1500 and 90624 → 906: the major release, which is what pg_dump compatibility follows. */
export function pgMajor(versionNum: number): number {
  return versionNum >= 100000 ? Math.floor(versionNum / 10000) * 100 : Math.floor(versionNum / 100)
}

export function pgMajorText(versionNum: number): string {
  const m = pgMajor(versionNum)
  return m >= 1000 ? String(m / 100) : `${Math.floor(m / 100)}.${m % 100}`
}

/** '15.20', '9.6.24', '17beta1' → 150020, 90624, 170000. */
export function pgVersionNum(version: string): number {
  const m = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version)
  if (!m) return 0
  const [a, b, c] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]
  return a >= 10 ? a * 10000 + b : a * 10000 + b * 100 + c
}

const versionCache = new Map<string, PgTool | null>()

/** `<tool> --version`, remembered per file (path, size, mtime): one look-up per tool per run, not per query. */
async function toolVersion(name: string, toolPath: string): Promise<PgTool | null> {
  const st = await stat(toolPath).catch(() => null)
  if (!st) return null
  const key = `${toolPath}:${st.size}:${st.mtimeMs}`
  if (!versionCache.has(key)) versionCache.set(key, await readToolVersion(name, toolPath))
  return versionCache.get(key) ?? null
}

async function readToolVersion(name: string, toolPath: string): Promise<PgTool | null> {
  const run = await runTool(toolPath, ['--version'])
  if (run.exitCode !== 0) return null
  const m = /\(PostgreSQL\)\s+(\S+)/.exec(run.stdout) ?? /(\d+(?:\.\d+)+)/.exec(run.stdout)
  if (!m) return null
  return { name, path: toolPath, version: m[1], versionNum: pgVersionNum(m[1]) }
}

/** Where distributions put versioned client tools besides PATH (Debian/Ubuntu, RHEL, Homebrew). */
async function versionedBinDirs(): Promise<string[]> {
  const dirs: string[] = []
  const roots: [string, RegExp][] = [
    ['/usr/lib/postgresql', /^\d+$/],
    ['/usr', /^pgsql-\d+$/],
    ['/opt/homebrew/opt', /^postgresql@\d+$/],
    ['/usr/local/opt', /^postgresql@\d+$/]
  ]
  for (const [root, pattern] of roots) {
    const names = await readdir(root).catch(() => [] as string[])
    for (const n of names) if (pattern.test(n)) dirs.push(path.join(root, n, 'bin'))
  }
  return dirs
}

/**
 * Finds `name` (pg_dump, pg_restore, psql): the one on PATH when its major version is at least `minMajorNum`, else the
 * newest installed versioned copy that is. Throws a DatabaseError with the package to install.
 */
export async function findPgTool(name: string, target: DatabaseTarget, minVersionNum = 0): Promise<PgTool> {
  const candidates: PgTool[] = []
  const onPath = await findOnPath([name])
  if (onPath) {
    const t = await toolVersion(name, onPath)
    if (t) candidates.push(t)
  }
  if (candidates[0] && pgMajor(candidates[0].versionNum) >= pgMajor(minVersionNum)) return candidates[0]
  for (const dir of await versionedBinDirs()) {
    const t = await toolVersion(name, path.join(dir, name)).catch(() => null)
    if (t) candidates.push(t)
  }
  const fitting = candidates
    .filter(t => pgMajor(t.versionNum) >= pgMajor(minVersionNum))
    .sort((a, b) => b.versionNum - a.versionNum)
  if (fitting[0]) return fitting[0]
  const need = minVersionNum ? pgMajorText(minVersionNum) : null
  if (candidates.length === 0) {
    throw new DatabaseError(
      `${name} is not installed on this runner, and the ${describe(target)} database needs it: install the PostgreSQL ` +
        `client${need ? ` ${need} or newer` : ''} (e.g. 'sudo apt-get install -y postgresql-client${need ? `-${need}` : ''}').`
    )
  }
  const best = candidates.sort((a, b) => b.versionNum - a.versionNum)[0]
  throw new DatabaseError(
    `${name} ${best.version} (${best.path}) is older than the PostgreSQL ${need} server of the ${describe(target)} ` +
      `database and cannot handle it: install postgresql-client-${need} (or newer) on the runner.`
  )
}

/** Runs SQL through psql against `database` (null: the target's own). Returns stdout (unaligned, tuples only). */
export async function pgQuery(target: DatabaseTarget, sql: string, database: string | null = target.database) {
  const psql = await findPgTool('psql', target)
  return await withPgEnv(target, database, async env => {
    const run = await runTool(psql.path, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-f', '-'], {
      env,
      input: sql
    })
    if (run.exitCode !== 0) throw toolFailure(target, 'psql', 'querying', run)
    return run.stdout
  })
}

/**
 * SQL against the server's maintenance database: 'postgres', or 'template1' where 'postgres' was dropped or is closed
 * to the user (a restore target may not exist yet, so it cannot be the connection's database).
 */
export async function pgMaintenanceQuery(target: DatabaseTarget, sql: string): Promise<string> {
  try {
    return await pgQuery(target, sql, 'postgres')
  } catch (e) {
    if (
      !(e instanceof DatabaseError) ||
      !/database "postgres" (does not exist|.*permission denied)|permission denied for database "postgres"/i.test(
        e.message
      )
    )
      throw e
    return await pgQuery(target, sql, 'template1')
  }
}

export async function pgServerVersion(target: DatabaseTarget, database: string | null = target.database) {
  const sql = 'SHOW server_version_num;\nSHOW server_version;\n'
  const out = database === 'postgres' ? await pgMaintenanceQuery(target, sql) : await pgQuery(target, sql, database)
  const [num, version] = out.trim().split('\n')
  return { versionNum: Number(num), version: version?.trim() ?? num } satisfies PgServer
}

/** The tables of the database's non-system schemas, as 'schema.table', lower-case-sorted. */
export async function pgTables(target: DatabaseTarget): Promise<string[]> {
  const out = await pgQuery(
    target,
    `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' ORDER BY 1;`
  )
  return lines(out)
}

function lines(out: string): string[] {
  return out.split('\n').filter(l => l.trim() !== '')
}

function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`
}

/** Dumps into `outDir/dump.pgdump` (custom) or `outDir/dump.pgdir` (directory, jobs > 1); a failure leaves nothing. */
export async function pgDump(
  target: DatabaseTarget,
  outDir: string,
  jobs: number,
  logger: Logger,
  snapshot?: string
): Promise<{ file: string; format: string; tool: PgTool; server: PgServer }> {
  const server = await pgServerVersion(target)
  const tool = await findPgTool('pg_dump', target, server.versionNum)
  const directory = jobs > 1
  const file = directory ? PG_DIRECTORY_FILE : PG_CUSTOM_FILE
  const partial = path.join(outDir, `${file}.partial`)
  const args = [
    directory ? '--format=directory' : '--format=custom',
    ...(directory ? [`--jobs=${jobs}`] : []),
    `--file=${partial}`,
    '--no-password',
    ...(snapshot ? [`--snapshot=${snapshot}`] : [])
  ]
  const growth = watchGrowth(partial, `pg_dump ${describe(target)}`, logger)
  try {
    // pg_dump creates its file with the umask; made first, owner-only, it keeps that mode when pg_dump truncates it.
    if (!directory) await writeFile(partial, '', { mode: PRIVATE_FILE_MODE })
    const run = await withPgEnv(target, target.database, env => runTool(tool.path, args, { env }))
    if (run.exitCode !== 0) throw toolFailure(target, 'pg_dump', 'dumping', run)
    await rename(partial, path.join(outDir, file))
  } finally {
    clearInterval(growth)
    await rm(partial, { recursive: true, force: true })
  }
  return { file, format: directory ? 'pg-directory' : 'pg-custom', tool, server }
}

export function pgDatabaseExistsQuery(target: DatabaseTarget): string {
  return `SELECT count(*) FROM pg_database WHERE datname = ${sqlLiteral(target.database ?? '')};`
}

/**
 * Restores a pg_dump archive with clean/if-exists semantics: objects in the dump replace their namesakes; tables the
 * target has but the dump lacks (a newer schema's) are dropped first, so the result matches the backup.
 */
export async function pgRestore(
  target: DatabaseTarget,
  dumpDir: string,
  record: DatabaseRecord,
  opts: RestoreDbOptions,
  hooks: RestoreHooks
): Promise<void> {
  const dump = record.dump
  if (!dump) throw new DatabaseError(`The backup holds no dump for the ${record.roles.join(' + ')} database.`)
  const file = path.join(dumpDir, dump.file ?? (dump.format === 'pg-directory' ? PG_DIRECTORY_FILE : PG_CUSTOM_FILE))
  const pgRestoreTool = await findPgTool('pg_restore', target, pgVersionNum(dump.tool.version))
  const name = target.database ?? ''

  // Listing the target's tables doubles as the existence check: one connection fewer on the usual path.
  const [tables] = await Promise.all([
    pgTables(target).catch(e => {
      if (e instanceof DatabaseError && /database "[^"]*" does not exist/.test(e.message)) return null
      throw e
    }),
    warnIfSuperuser(target, opts.logger)
  ])
  if (tables === null) {
    if (!opts.createIfMissing)
      throw new DatabaseError(
        `The database '${name}' does not exist on ${target.host ?? 'localhost'}:${target.port ?? 5432}: ` +
          `create it, or set the '${Input.CreateDatabase}' input to let the restore create it.`
      )
    await hooks.beforeChange()
    opts.logger.info(`Creating database '${name}' on ${target.host ?? 'localhost'}.`)
    await pgMaintenanceQuery(target, `CREATE DATABASE ${ident(name)};`)
  } else {
    hooks.ensureTargetLooksRight(tables)
    const dumped = tables.length ? await pgDumpTables(pgRestoreTool, file, target) : []
    const inDump = new Set(dumped)
    // Only in the schemas the dump covers: a DBA's own schema next to XL Release's is none of the restore's business.
    const dumpSchemas = new Set(dumped.map(t => t.slice(0, t.indexOf('.'))))
    const extra = tables.filter(t => !inDump.has(t) && dumpSchemas.has(t.slice(0, t.indexOf('.'))))
    await hooks.beforeChange()
    if (extra.length) {
      opts.logger.info(`Dropping ${extra.length} table(s) the backup does not have: ${extra.join(', ')}`)
      const [schema, table] = [(t: string) => t.slice(0, t.indexOf('.')), (t: string) => t.slice(t.indexOf('.') + 1)]
      await pgQuery(
        target,
        extra.map(t => `DROP TABLE IF EXISTS ${ident(schema(t))}.${ident(table(t))} CASCADE;`).join('\n')
      )
    }
  }

  const jobs = Math.max(1, opts.jobs)
  const args = [
    '--clean',
    '--if-exists',
    '--no-owner',
    '--exit-on-error',
    '--no-password',
    // One transaction makes a failed single-job restore leave the database as it was; --jobs cannot be combined with it.
    ...(jobs > 1 ? [`--jobs=${jobs}`] : ['--single-transaction']),
    `--dbname=dbname=${pgConninfoValue(name)}`,
    file
  ]
  const run = await withPgEnv(target, name, env => runTool(pgRestoreTool.path, args, { env }))
  if (run.exitCode !== 0) throw toolFailure(target, 'pg_restore', 'restoring', run)
}

/**
 * A dump runs with the privileges of the user that restores it. A superuser's restore lets a forged dump run programs
 * on the database server (COPY … TO PROGRAM, untrusted languages) and act on every database: say so, once.
 */
async function warnIfSuperuser(target: DatabaseTarget, logger: Logger): Promise<void> {
  const superuser = await pgMaintenanceQuery(target, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user;')
    .then(out => out.trim() === 't')
    .catch(() => false)
  if (superuser)
    logger.warning(
      `The ${describe(target)} database is restored as '${target.username ?? ''}', a PostgreSQL superuser: a dump ` +
        `restored this way can run programs on the database server (COPY … TO PROGRAM) and reach every database. ` +
        `Restore as XL Release's own database user (see docs/databases.md).`
    )
}

function pgConninfoValue(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** The 'schema.table' names a pg_dump archive creates, from its table of contents. */
async function pgDumpTables(tool: PgTool, file: string, target: DatabaseTarget): Promise<string[]> {
  const run = await runTool(tool.path, ['--list', file])
  if (run.exitCode !== 0) throw toolFailure(target, 'pg_restore', 'reading the dump of', run)
  const tables: string[] = []
  for (const line of run.stdout.split('\n')) {
    // '215; 1259 16390 TABLE public xlr_releases postgres'
    const m = /^\d+;\s+\d+\s+\d+\s+TABLE\s+(\S+)\s+(\S+)\s/.exec(line)
    if (m) tables.push(`${m[1]}.${m[2]}`)
  }
  return tables
}

/** Per table: row count and an order-independent hash of the rows, computed by the server; plus sequence values. */
export async function pgTableChecksums(target: DatabaseTarget): Promise<Record<string, string>> {
  const tables = await pgTables(target)
  const parts = tables.map(t => {
    const [s, n] = [t.slice(0, t.indexOf('.')), t.slice(t.indexOf('.') + 1)]
    return `SELECT ${sqlLiteral(t)} || '|' || count(*) || '|' || coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '-') FROM ${ident(s)}.${ident(n)} x`
  })
  const seqs = `SELECT 'sequence ' || schemaname || '.' || sequencename || '|' || coalesce(last_value::text, 'null') FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog','information_schema')`
  const sql = [...parts, seqs].join('\nUNION ALL\n') + ';'
  const out = await pgQuery(target, sql)
  const result: Record<string, string> = {}
  for (const line of lines(out)) {
    const bar = line.indexOf('|')
    result[line.slice(0, bar)] = line.slice(bar + 1)
  }
  return result
}

/** pg_dump says nothing while it works: log the size of its output every 30 s so a long dump shows life. */
function watchGrowth(output: string, label: string, logger: Logger): NodeJS.Timeout {
  const started = Date.now()
  const timer = setInterval(() => {
    void (async () => {
      const st = await stat(output).catch(() => null)
      if (!st) return
      const bytes = st.isDirectory() ? (await dirContents(output).catch(() => ({ bytes: 0 }))).bytes : st.size
      logger.info(`${label}: ${formatBytes(bytes)} written in ${Math.round((Date.now() - started) / 1000)}s`)
    })()
  }, 30_000)
  timer.unref()
  return timer
}
