import type { JobResult } from '../../report/job-result.js'
import { Output } from '../../settings/inputs.js'
import type { Settings } from '../../settings/settings.js'
import type { Logger } from '../../shared/logger.js'
import { formatDuration } from '../../shared/progress.js'
import { createStorage } from '../../storage/index.js'
import { rotate, rotationTable } from '../rotate.js'

/** Prune: only the rotation, without a backup (a weekly clean-up, or after changing the 'keep-*' rules). */
export async function pruneCommand(settings: Settings, logger: Logger): Promise<JobResult> {
  const started = Date.now()
  const storage = await createStorage(settings.storage, logger)
  const report = await logger.group(`Rotate the backups under '${settings.storage.namePrefix}'`, async () =>
    rotate(storage, settings, null, logger)
  )
  const seconds = (Date.now() - started) / 1000
  const kept = report.rows.filter(r => r.decision === 'keep').length
  return {
    mode: 'prune',
    outputs: { [Output.DurationSeconds]: seconds.toFixed(1) },
    summary: {
      title: `Rotation of the backups under '${report.prefix}'${report.dryRun ? ' (dry run)' : ''}`,
      facts: [
        ['Storage', settings.storage.kind],
        ['Kept', String(kept)],
        [
          report.dryRun ? 'Would delete' : 'Deleted',
          String(report.dryRun ? report.rows.length - kept : report.deleted)
        ],
        ...(report.locked > 0 ? ([['Locked, skipped', String(report.locked)]] as [string, string][]) : []),
        ['Duration', formatDuration(seconds)]
      ],
      tables: [rotationTable(report)],
      notes: report.notes
    }
  }
}
