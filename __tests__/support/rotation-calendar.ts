// One calendar of backups that every storage's rotation test stores and rotates: it crosses a year, a month, an ISO
// week (2026-01-04 is a Sunday) and holds two backups on one day.
import { Input } from '../../src/settings/inputs.js'
import type { JobResult } from '../../src/report/job-result.js'
import type { BackupStorage, FoundBackup } from '../../src/storage/index.js'
import type { MemoryLogger } from '../../src/shared/logger.js'
import { run, runFailing, type Inputs } from './run-job.js'

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

/** What every store's test stores: CALENDAR, and one backup outside the prefix, older than all of it. */
export const STORED: [string, string][] = [...CALENDAR, ['other-x.zip', '2020-01-01T00:00:00.000Z']]

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

/** The inputs of a prune of PREFIX with RULES in `storage`, with `over` (its path, its token) on top. */
export function pruneInputs(storage: string, over: Inputs = {}): Inputs {
  return { [Input.Mode]: 'prune', [Input.Storage]: storage, [Input.NamePrefix]: PREFIX, ...RULES, ...over }
}

/** What a store's `list` gave, checked to be CALENDAR: each backup under the prefix, dated as it was stored. */
export function expectCalendar(listed: FoundBackup[]): void {
  expect(listed.map(b => [b.name, b.createdAt]).sort()).toEqual(CALENDAR)
}

/** What a store holds now, as names in any order: compared before and after a rotation. */
export type Holdings = () => string[] | Promise<string[]>

const sorted = async (holdings: Holdings): Promise<string[]> => [...(await holdings())].sort()

/** A dry run of the prune `inputs`: it shows the plan and `holdings` stay as they were. */
export async function expectDryRun(inputs: Inputs, holdings: Holdings): ReturnType<typeof run> {
  const before = await sorted(holdings)
  const ran = await run({ ...inputs, [Input.DryRun]: 'true' })
  expect(rotationRows(ran.result)).toEqual(expectedRows('would delete'))
  expect(await sorted(holdings)).toEqual(before)
  return ran
}

/** A prune of `inputs` that must fail: `holdings` stay as they were; gives its error to check. */
export async function expectRefusedPrune(inputs: Inputs, holdings: Holdings): Promise<Error> {
  const before = await sorted(holdings)
  const { error } = await runFailing(inputs)
  expect(await sorted(holdings)).toEqual(before)
  return error
}

/** The prune of `inputs`: it deletes what no rule keeps, and `holdings` are then `left` (in any order). */
export async function expectPruned(inputs: Inputs, holdings: Holdings, left: string[]): ReturnType<typeof run> {
  const ran = await run(inputs)
  expect(rotationRows(ran.result)).toEqual(expectedRows('deleted'))
  expect(await sorted(holdings)).toEqual([...left].sort())
  return ran
}

/** The names KEPT, and `others` that no rotation of PREFIX may touch. */
export const keptAnd = (...others: string[]): string[] => [...KEPT.map(([name]) => name), ...others]
