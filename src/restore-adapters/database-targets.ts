import * as path from 'node:path'
import { extractArchive } from '../archive/extract.js'
import type { BackupArchive } from '../archive/backup-archive.js'
import type { DatabaseRecord } from '../archive/manifest.js'
import { DATABASE_INPUTS, describeDatabase, preflight, resolveDatabases } from '../database/index.js'
import type { DatabaseSettings } from '../database/types.js'
import type { HomeInfo } from '../home/types.js'
import { InputError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { DatabaseRestoreTarget } from './database-restorer.js'

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
          `to the database to restore it into, or leave 'databases' out of 'components'.`
      )
    }
    logger.info(`The ${record.roles.join(' + ')} dump will be restored into ${describeDatabase(target)}.`)
    const dumpDir = path.join(args.workDir, 'dumps', record.roles.join('+'))
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
