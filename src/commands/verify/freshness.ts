import { describeDistrust, judgeBackupTime } from '../../rotation/backup-time.js'
import { StorageError } from '../../shared/errors.js'
import { Input } from '../../shared/io-names.js'
import type { Logger } from '../../shared/logger.js'
import type { BackupStorage } from '../../storage/index.js'

export interface BackupAge {
  /** The newest backup under the prefix (by its own time). */
  name: string
  createdAt: string
  ageSeconds: number
  /** Set when the backup is older than 'max-age': the message the job fails with. */
  tooOld: string | null
}

/**
 * The alarm for backups that silently stopped (a disabled schedule, a broken runner): the age of the newest backup
 * under `prefix`, by the backup's own time, against `maxAgeSeconds`. Checked from the listing, before anything is
 * downloaded. A backup whose time is not believed (backup-time.ts: a forged backup dated ahead would silence the
 * alarm for good) is left out and named. No backup at all, or none whose time is believed, fails at once.
 */
export async function checkBackupAge(
  storage: BackupStorage,
  prefix: string,
  maxAgeSeconds: number,
  logger: Logger,
  now: number = Date.now()
): Promise<BackupAge> {
  const listed = await storage.list(prefix, logger)
  const dated: { name: string; createdAt: string; time: number }[] = []
  for (const backup of listed) {
    const verdict = judgeBackupTime(backup, now)
    if (verdict.kind === 'believed')
      dated.push({ name: backup.name, createdAt: backup.createdAt ?? '', time: verdict.time })
    else if (verdict.kind !== 'unreadable') {
      logger.warning(
        `'${Input.MaxAge}' leaves out '${backup.name}': ${describeDistrust(verdict)}. Check who can write to this store.`
      )
    }
  }
  dated.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1))
  if (dated.length === 0) {
    throw new StorageError(
      listed.length === 0
        ? `'${Input.MaxAge}': no backup at all under '${prefix}' in the ${storage.kind} storage: backups have stopped, or never ran. Check the backup workflow and '${Input.NamePrefix}'.`
        : `'${Input.MaxAge}': none of the ${listed.length} backup(s) under '${prefix}' has a time that can be read and believed, so their age cannot be told.`
    )
  }
  const newest = dated[0]
  const ageSeconds = Math.max(0, Math.floor((now - newest.time) / 1000))
  const tooOld =
    ageSeconds > maxAgeSeconds
      ? `The newest backup under '${prefix}' is '${newest.name}', made ${newest.createdAt}: ${formatAge(ageSeconds)} ` +
        `old, older than '${Input.MaxAge}' (${formatAge(maxAgeSeconds)}). Backups have stopped: check the backup ` +
        `workflow (GitHub disables scheduled workflows after 60 days without activity in the repository).`
      : null
  if (tooOld) logger.error(tooOld)
  else
    logger.info(
      `The newest backup under '${prefix}' is '${newest.name}' (${newest.createdAt}), ${formatAge(ageSeconds)} old: within '${Input.MaxAge}'.`
    )
  return { name: newest.name, createdAt: newest.createdAt, ageSeconds, tooOld }
}

/** '8d 2h', '25h 10m', '40m': an age at the scale of backup schedules. */
export function formatAge(seconds: number): string {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  if (d >= 2) return `${d}d ${h}h`
  if (seconds >= 3600) return `${d * 24 + h}h ${m}m`
  return seconds >= 60 ? `${m}m` : `${seconds}s`
}
