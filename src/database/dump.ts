import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { DatabaseRecord } from '../format/manifest.js'
import { DATABASE_PREFIX } from '../format/manifest.js'
import { DatabaseError, InputError } from '../shared/errors.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'
import { customCommandEnv, dirContents, makeTreePrivate, runCustomCommand } from './custom-command.js'
import { hashFile } from '../shared/hash-file.js'
import { mysqlDump, mysqlQuery, MYSQL_DUMP_FILE } from './mysql.js'
import { pgDatabaseExistsQuery, pgDump, pgMaintenanceQuery } from './postgres.js'
import { describe } from './resolve.js'
import { BUILT_IN_ENGINES, type DatabaseTarget, type DumpOptions, type DumpResult } from './types.js'
import { Input } from '../shared/io-names.js'

/** The record's base: what the manifest says about a database whether or not it was dumped. */
export function baseRecord(target: DatabaseTarget): DatabaseRecord {
  return {
    roles: [...target.roles],
    engine: target.engine,
    url: target.url,
    host: target.host,
    port: target.port,
    database: target.database,
    embedded: target.embedded
  }
}

/** Zip prefix for a target's dump: 'database/repository/', or 'database/repository+archive/' for a shared database. */
export function dumpPrefix(target: DatabaseTarget): string {
  return `${DATABASE_PREFIX}${target.roles.join('+')}/`
}

/**
 * Dumps one database into `outDir` (created owner-only; must be empty) with the vendor's tool, or the user's
 * `database-backup-command` for other engines. A failure throws a DatabaseError and leaves `outDir` empty: nothing
 * that could pass for a complete dump. Embedded databases are not dumped (the home archive holds them).
 */
export async function dumpDatabase(target: DatabaseTarget, outDir: string, opts: DumpOptions): Promise<DumpResult> {
  const record = baseRecord(target)
  if (target.embedded) {
    opts.logger.info(`Database ${describe(target)}: embedded, covered by the home archive.`)
    return { record, dir: outDir }
  }
  await mkdir(outDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  // The folder is owner-only before any tool writes into it; the files are made 0600 once written.
  await chmod(outDir, PRIVATE_DIR_MODE)
  if ((await readdir(outDir)).length > 0)
    throw new DatabaseError(`The dump folder ${outDir} is not empty: refusing to mix a new dump with old files.`)
  const startedAt = new Date().toISOString()
  const t0 = Date.now()
  try {
    let dump: NonNullable<DatabaseRecord['dump']>
    if (target.engine === 'postgresql') {
      const r = await pgDump(target, outDir, Math.max(1, opts.jobs), opts.logger, opts.pgSnapshot)
      const full = path.join(outDir, r.file)
      const single = r.format === 'pg-custom'
      dump = {
        format: r.format,
        prefix: dumpPrefix(target),
        file: r.file,
        bytes: single ? (await stat(full)).size : (await dirContents(full)).bytes,
        ...(single && opts.hash !== false ? { sha256: (await hashFile(full)).sha256 } : {}),
        tool: { name: 'pg_dump', version: r.tool.version },
        serverVersion: r.server.version,
        startedAt,
        finishedAt: new Date().toISOString()
      }
    } else if (target.engine === 'mysql' || target.engine === 'mariadb') {
      const r = await mysqlDump(target, outDir, opts.logger, opts.onSnapshotOpen)
      dump = {
        format: 'mysql-sql-gzip',
        prefix: dumpPrefix(target),
        file: MYSQL_DUMP_FILE,
        bytes: r.bytes,
        sha256: r.sha256,
        tables: r.tables,
        tool: { name: r.tool.name, version: r.tool.version },
        serverVersion: r.serverVersion,
        startedAt,
        finishedAt: new Date().toISOString()
      }
    } else {
      dump = await customDump(target, outDir, opts, startedAt)
    }
    await makeTreePrivate(outDir)
    const seconds = ((Date.now() - t0) / 1000).toFixed(1)
    opts.logger.info(`Dumped ${describe(target)}: ${dump.format}, ${dump.bytes} bytes in ${seconds}s.`)
    return { record: { ...record, dump }, dir: outDir }
  } catch (e) {
    await emptyFolder(outDir)
    throw e
  }
}

async function customDump(
  target: DatabaseTarget,
  outDir: string,
  opts: DumpOptions,
  startedAt: string
): Promise<NonNullable<DatabaseRecord['dump']>> {
  if (!opts.backupCommand?.trim())
    throw new InputError(
      Input.DatabaseBackupCommand,
      `The ${describe(target)} database is ${target.engine}, which this action has no built-in tool for: set the ` +
        `'${Input.DatabaseBackupCommand}' input (see docs/databases.md).`
    )
  await runCustomCommand(
    target,
    Input.DatabaseBackupCommand,
    opts.backupCommand,
    customCommandEnv(target, outDir, { XLR_DB_JOBS: String(Math.max(1, opts.jobs)) })
  )
  const contents = await dirContents(outDir)
  if (contents.files.length === 0)
    throw new DatabaseError(
      `The '${Input.DatabaseBackupCommand}' succeeded but wrote nothing into XLR_DUMP_DIR for the ${describe(target)} ` +
        `database: it must write its dump there (XLR_DUMP_FILE is a suggested file name).`
    )
  return {
    format: 'custom-command',
    prefix: dumpPrefix(target),
    bytes: contents.bytes,
    ...(contents.files.length === 1 && opts.hash !== false
      ? { sha256: (await hashFile(path.join(outDir, contents.files[0]))).sha256 }
      : {}),
    tool: { name: 'database-backup-command', version: '' },
    serverVersion: null,
    startedAt,
    finishedAt: new Date().toISOString()
  }
}

async function emptyFolder(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[])
  await Promise.all(names.map(n => rm(path.join(dir, n), { recursive: true, force: true })))
}

/** Whether the target database exists yet (a restore into a new database has nothing to save first). */
export async function databaseExists(target: DatabaseTarget): Promise<boolean> {
  if (target.engine === 'postgresql')
    return (await pgMaintenanceQuery(target, pgDatabaseExistsQuery(target))).trim() === '1'
  if (target.engine === 'mysql' || target.engine === 'mariadb') {
    const name = (target.database ?? '').replace(/\\/g, '\\\\').replace(/'/g, "''")
    const out = await mysqlQuery(
      target,
      `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '${name}';`,
      null
    )
    return out.trim() !== '0'
  }
  return true
}

/**
 * Dumps the database a restore is about to overwrite into `dir` (the restore's "previous" folder), so it can be put
 * back. Returns null when there is nothing to save (embedded, or the database does not exist yet).
 */
export async function safetyDump(target: DatabaseTarget, dir: string, opts: DumpOptions): Promise<DumpResult | null> {
  if (target.embedded) return null
  if (BUILT_IN_ENGINES.includes(target.engine) && !(await databaseExists(target))) return null
  opts.logger.info(`Saving the current contents of ${describe(target)} before overwriting it.`)
  return await dumpDatabase(target, dir, opts)
}
