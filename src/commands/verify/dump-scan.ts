import type { DatabaseRecord } from '../../format/manifest.js'
import type { BackupArchive } from '../../archive/backup-archive.js'
import { MYSQL_DUMP_FILE, scanMysqlDumpChunks } from '../../database/mysql.js'
import { IntegrityError } from '../../shared/errors.js'

/**
 * Verify without a scratch database loads no dump, but it must still refuse what a restore would refuse: a MySQL
 * dump that holds client commands. Reads the dump entry (checking its size, CRC-32 and SHA-256 on the way) through
 * the same filter the restore uses. pg_dump archives hold no client commands: nothing to scan.
 */
export async function refuseScriptedDump(archive: BackupArchive, record: DatabaseRecord): Promise<void> {
  const dump = record.dump
  if (dump?.format !== 'mysql-sql-gzip') return
  const name = `${dump.prefix}${dump.file ?? MYSQL_DUMP_FILE}`
  const entry = archive.entries.find(name)
  if (!entry)
    throw new IntegrityError(
      `The backup has no entry ${name} for the dump of the ${record.roles.join(' + ')} database its manifest names.`
    )
  await scanMysqlDumpChunks(record.roles.join(' + '), name, sink => archive.readContent(entry, sink))
}
