import { stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { DatabaseRecord } from '../format/manifest.js'
import { DatabaseError, InputError, IntegrityError } from '../shared/errors.js'
import { customCommandEnv, runCustomCommand } from './custom-command.js'
import { hashFile } from '../shared/hash-file.js'
import { mysqlRestore, mysqlTableChecksums } from './mysql.js'
import { pgRestore, pgTableChecksums } from './postgres.js'
import { describe } from './resolve.js'
import { foreignTargetGuard } from './target-check.js'
import type { DatabaseTarget, RestoreDbOptions, RestoreHooks } from './types.js'
import { Input } from '../shared/io-names.js'

const PG_FORMATS = ['pg-custom', 'pg-directory']
const MYSQL_FORMATS = ['mysql-sql-gzip']

/**
 * Restores one dump (a folder laid out as dumpDatabase left it) into `target`. Creates the database when missing and
 * `createIfMissing`; refuses a non-empty database that is not XL Release's unless `allowForeignTarget`. The caller
 * takes a safetyDump first: a restore overwrites.
 */
export async function restoreDatabase(
  target: DatabaseTarget,
  dumpDir: string,
  record: DatabaseRecord,
  opts: RestoreDbOptions
): Promise<void> {
  const dump = record.dump
  if (target.embedded || record.embedded) {
    opts.logger.info(`Database ${describe(target)}: embedded, restored with the home's files.`)
    return
  }
  if (!dump) throw new IntegrityError(`The backup has no dump for the ${record.roles.join(' + ')} database.`)
  const t0 = Date.now()
  // The dump is hashed while the read-only checks of the target run; nothing changes before it is proven intact.
  const verified = opts.dumpVerified ? Promise.resolve() : verifyDump(dumpDir, dump)
  verified.catch(() => undefined)
  const hooks: RestoreHooks = {
    ensureTargetLooksRight: foreignTargetGuard(target, opts.allowForeignTarget),
    beforeChange: () => verified
  }
  if (PG_FORMATS.includes(dump.format)) {
    requireEngine(target, record, ['postgresql'])
    await pgRestore(target, dumpDir, record, opts, hooks)
  } else if (MYSQL_FORMATS.includes(dump.format)) {
    requireEngine(target, record, ['mysql', 'mariadb'])
    await mysqlRestore(target, dumpDir, record, opts, hooks)
  } else if (dump.format === 'custom-command') {
    if (!opts.restoreCommand?.trim())
      throw new InputError(
        Input.DatabaseRestoreCommand,
        `The ${record.roles.join(' + ')} database was dumped by a '${Input.DatabaseBackupCommand}' (${record.engine}): set ` +
          `'${Input.DatabaseRestoreCommand}' to the command that restores it from $XLR_DUMP_DIR (see docs/databases.md).`
      )
    await verified
    await runCustomCommand(
      target,
      Input.DatabaseRestoreCommand,
      opts.restoreCommand,
      customCommandEnv(target, dumpDir, {
        XLR_DB_JOBS: String(Math.max(1, opts.jobs)),
        XLR_DB_CREATE: String(opts.createIfMissing),
        XLR_DB_ALLOW_FOREIGN: String(opts.allowForeignTarget)
      })
    )
  } else {
    throw new IntegrityError(
      `The dump format '${dump.format}' of the ${record.roles.join(' + ')} database is unknown to this version.`
    )
  }
  const size = dump.file ? (await stat(path.join(dumpDir, dump.file)).catch(() => null))?.size : undefined
  opts.logger.info(
    `Restored ${describe(target)} from ${dump.format}${size !== undefined ? ` (${size} bytes)` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)}s.`
  )
}

async function verifyDump(dumpDir: string, dump: NonNullable<DatabaseRecord['dump']>): Promise<void> {
  if (!dump.file || !dump.sha256) return
  const file = path.join(dumpDir, dump.file)
  const actual = await hashFile(file)
    .then(h => h.sha256)
    .catch(e => {
      throw new IntegrityError(`The dump ${file} cannot be read: ${(e as Error).message}`, { cause: e })
    })
  if (actual !== dump.sha256)
    throw new IntegrityError(`The dump ${file} does not match its SHA-256 in the manifest: the backup is damaged.`)
}

function requireEngine(target: DatabaseTarget, record: DatabaseRecord, engines: string[]): void {
  if (!engines.includes(target.engine))
    throw new DatabaseError(
      `The ${record.roles.join(' + ')} dump is ${record.engine} (${record.dump?.format}) but the target ${describe(target)} ` +
        `is ${target.engine}: a dump restores only into the same engine. Check the database URL.`
    )
}

/** Row counts and content hashes per table, computed in SQL by the server (for tests and restore checks). */
export async function tableChecksums(target: DatabaseTarget): Promise<Record<string, string>> {
  if (target.engine === 'postgresql') return await pgTableChecksums(target)
  if (target.engine === 'mysql' || target.engine === 'mariadb') return await mysqlTableChecksums(target)
  throw new DatabaseError(`Table checksums are not available for ${target.engine}.`)
}
