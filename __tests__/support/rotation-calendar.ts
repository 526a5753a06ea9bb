// One calendar of backups that every storage's rotation test stores and rotates: it crosses a year, a month, an ISO
// week (2026-01-04 is a Sunday) and holds two backups on one day.
import { Input } from '../../src/settings/inputs.js'
import type { JobResult } from '../../src/report/job-result.js'
import type { BackupStorage } from '../../src/storage/index.js'
import type { MemoryLogger } from '../../src/shared/logger.js'

export const PREFIX = 'nightly-'

/** Name → time of the backup, oldest first. */
export const CALENDAR: [string, string][] = [
  ['nightly-a.zip', '2025-12-31T02:00:00.000Z'],
  ['nightly-b.zip', '2026-01-01T02:00:00.000Z'],
  ['nightly-c.zip', '2026-01-04T02:00:00.000Z'],
  ['nightly-d.zip', '2026-01-05T02:00:00.000Z'],
  ['nightly-e.zip', '2026-01-05T20:00:00.000Z'],
  ['nightly-f.zip', '2026-01-06T02:00:00.000Z']
]

export const RULES = { [Input.KeepDaily]: '3', [Input.KeepWeekly]: '2', [Input.KeepMonthly]: '2' }

/** What restic's forget keeps of CALENDAR with RULES, and why (newest first). */
export const KEPT: [string, string][] = [
  ['nightly-f.zip', 'keep-daily, keep-weekly, keep-monthly'],
  ['nightly-e.zip', 'keep-daily'],
  ['nightly-c.zip', 'keep-daily, keep-weekly'],
  ['nightly-a.zip', 'keep-monthly']
]
/** Newest first: d shares its day with the newer e, b its week with c and its month with f. */
export const DELETED = ['nightly-d.zip', 'nightly-b.zip']

/** The rotation table of a job summary as [name, decision, why] rows. */
export function rotationRows(result: JobResult): string[][] {
  const table = result.summary.tables.find(t => t.caption.startsWith('Rotation'))
  if (!table) throw new Error(`no rotation table in ${JSON.stringify(result.summary.tables.map(t => t.caption))}`)
  return table.rows.map(([name, , decision, why]) => [name, decision, why])
}

/** The rows a rotation of CALENDAR shows: every backup kept with its rules, then every one deleted. */
export function expectedRows(decision: 'deleted' | 'would delete'): string[][] {
  return [
    ...KEPT.map(([name, why]) => [name, 'keep', why]),
    ...DELETED.map(name => [name, decision, 'no rule keeps it'])
  ]
}

/** Stores one small backup (with a signature) through the storage's own publish, as a backup run would. */
export async function storeBackup(storage: BackupStorage, name: string, logger: MemoryLogger): Promise<void> {
  const staged = await storage.stagingPath(name)
  const { writeFile } = await import('node:fs/promises')
  await writeFile(staged, `backup ${name}\n`)
  await storage.publish(staged, name, logger, undefined, `signature of ${name}\n`)
}
