import * as path from 'node:path'
import { extractArchive } from '../archive/extract.js'
import type { BackupArchive } from '../archive/backup-archive.js'
import type { DatabaseRecord } from '../format/manifest.js'
import { ROLES } from '../archive/manifest-schema.js'
import { DATABASE_INPUTS, describeDatabase, preflight, resolveDatabases } from '../database/index.js'
import type { DatabaseSettings } from '../database/types.js'
import type { HomeInfo } from '../home/types.js'
import { InputError, IntegrityError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { DatabaseRestoreTarget } from './restore/database-restorer.js'
import { Input } from '../shared/io-names.js'

/**
 * Pairs each dump in the backup with the database it is restored into — the one `configHome`'s config names (the
 * config in effect after the restore), overridden by the database inputs — unpacks the dumps into `workDir`
 * (checking every byte), and checks tools and credentials. All before anything changes.
 */
export async function prepareDatabaseRestores(args: {
  archive: BackupArchive
  configHome: HomeInfo
  settings: DatabaseSettings
  workDir: string
  threads: number
  logger: Logger
  /** The dumps to restore (default: every dump in the backup). */
  records?: DatabaseRecord[]
}): Promise<DatabaseRestoreTarget[]> {
  const { archive, settings, logger } = args
  const records = args.records ?? archive.manifest.databases.filter(d => d.dump && !d.embedded)
  if (records.length === 0 || settings.mode === 'none') return []
  const targets = resolveDatabases(args.configHome, settings, logger)
  const pairs: DatabaseRestoreTarget[] = []
  for (const record of records) {
    const role = record.roles[0]
    const target = targets.find(t => t.roles.includes(role))
    if (!target || target.embedded) {
      throw new InputError(
        DATABASE_INPUTS[role].url,
        `The backup holds a dump of the ${record.roles.join(' + ')} database (${record.engine}, ${record.database ?? record.url}), ` +
          `but the configuration in effect after the restore names no external database for it: set '${DATABASE_INPUTS[role].url}' ` +
          `to the database to restore it into, or leave 'databases' out of '${Input.Components}'.`
      )
    }
    logger.info(`The ${record.roles.join(' + ')} dump will be restored into ${describeDatabase(target)}.`)
    const dumpDir = dumpFolder(args.workDir, record)
    await extractArchive(archive, { prefix: record.dump!.prefix, dest: dumpDir, threads: args.threads })
    pairs.push({ record, dumpDir, target })
  }
  await preflight(
    pairs.map(p => p.target),
    settings,
    logger,
    'restore'
  )
  return pairs
}

/**
 * The folder a record's dump is unpacked into, named after its roles. The manifest schema allows only the fixed
 * roles; this refuses again anything else, since a role is a manifest string on its way into a path.
 */
export function dumpFolder(workDir: string, record: DatabaseRecord): string {
  const name = record.roles.join('+')
  if (!record.roles.every(r => (ROLES as readonly string[]).includes(r))) {
    throw new IntegrityError(
      `The backup's database record names the roles ${JSON.stringify(record.roles)}: a role is 'repository' or 'archive' — this backup was not made by xlr-backup or was altered: do not restore it`
    )
  }
  return path.join(workDir, 'dumps', name)
}
