import { describeDistrust, judgeBackupTime } from '../rotation/backup-time.js'
import { keepsNothing, planRotation, type KeepReason } from '../rotation/policy.js'
import type { JobResult, SummaryTable } from '../report/job-result.js'
import type { Settings } from '../settings/settings.js'
import { StorageError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import type { Logger } from '../shared/logger.js'
import type { BackupStorage, FoundBackup } from '../storage/index.js'
import { untrustedBackups } from './rotation-signatures.js'

/** What one rotation did (or, in a dry run, would do), for the log and the job summary. */
export interface RotationReport {
  prefix: string
  dryRun: boolean
  rows: { name: string; createdAt: string | null; decision: string; why: string }[]
  deleted: number
  locked: number
  notes: string[]
}

/** True when a 'keep-*' rule is set: backup and prune rotate then. */
function rotationWanted(settings: Settings): boolean {
  return !keepsNothing(settings.rotation)
}

/**
 * Lists the backups under 'name-prefix', plans with the 'keep-*' rules and deletes what no rule keeps (a dry run
 * only says what it would delete). `justMade` is the backup this run stored: it must be in the listing (else nothing
 * is deleted: a store that does not list it yet cannot be rotated safely) and it is never deleted. A backup under a
 * lock is skipped with a note. Only BackupStorage is used, so every store rotates the same way.
 */
export async function rotate(
  storage: BackupStorage,
  settings: Settings,
  justMade: string | null,
  logger: Logger,
  now: number = Date.now()
): Promise<RotationReport> {
  const prefix = settings.storage.namePrefix
  const dryRun = settings.rotation.dryRun
  const report: RotationReport = { prefix, dryRun, rows: [], deleted: 0, locked: 0, notes: [] }
  const listed = await storage.list(prefix, logger)
  if (justMade !== null && !listed.some(b => b.name === justMade)) {
    const note =
      `The rotation deleted nothing: the new backup '${justMade}' is not among the ${listed.length} backup(s) the ` +
      `${storage.kind} storage lists under '${prefix}', so the newest backup cannot be told. Run 'mode: prune' later.`
    logger.warning(note)
    report.notes.push(note)
    return report
  }
  const { untrusted, notes } = await untrustedBackups(storage, listed, settings.signing.trustedSigners, logger)
  report.notes.push(...notes)
  const plan = planRotation(listed, settings.rotation, justMade, now, new Set(untrusted.keys()))
  logger.info(
    `Rotation of ${listed.length} backup(s) under '${prefix}' (${describeRules(settings)}): keep ${plan.keep.length}, ` +
      `${dryRun ? 'would delete' : 'delete'} ${plan.remove.length}.`
  )
  for (const { backup, reasons } of plan.keep) {
    const why = reasons.map(describeReason).join(', ')
    report.rows.push({ name: backup.name, createdAt: backup.createdAt, decision: 'keep', why })
    logger.info(`Keep ${backup.name} (${backup.createdAt ?? 'time unknown'}): ${why}`)
    const verdict = judgeBackupTime(backup, now)
    const unsigned = untrusted.get(backup.name)
    if (verdict.kind === 'believed' && unsigned !== undefined) {
      const note =
        `Kept '${backup.name}' out of the rotation: it is not signed by a key of '${Input.TrustedSigners}' (${unsigned}). ` +
        `Only backups signed by a trusted key are counted, so a planted one cannot take a real one's place.`
      logger.warning(note)
      report.notes.push(note)
    } else if (verdict.kind !== 'believed') {
      const note =
        `Kept '${backup.name}' out of the rotation: ${describeDistrust(verdict)}, so no rule can judge it` +
        (verdict.kind === 'unreadable'
          ? ` (${JSON.stringify(backup.createdAt)}).`
          : `. A backup dated ahead would make every real backup look old: check who can write to this store, and ` +
            `delete it by hand if it is not yours.`)
      logger.warning(note)
      report.notes.push(note)
    }
  }
  for (const [index, backup] of plan.remove.entries()) {
    if (dryRun) {
      logger.info(`Would delete ${backup.name} (${backup.createdAt}) (dry run)`)
      report.rows.push(removedRow(backup, 'would delete'))
      continue
    }
    const outcome = await storage.remove(backup, logger).catch((error: unknown) => {
      throw stopped(error, report, plan.remove.length - index)
    })
    if (outcome === 'locked') {
      const note = `Not deleted: '${backup.name}' is under a lock (retention or immutability) the store enforces; it goes when the lock ends.`
      logger.info(note)
      report.notes.push(note)
      report.rows.push(removedRow(backup, 'locked, skipped'))
      report.locked++
    } else {
      logger.info(`Deleted ${backup.name} (${backup.createdAt})`)
      report.rows.push(removedRow(backup, 'deleted'))
      report.deleted++
    }
  }
  if (dryRun) report.notes.push(`'${Input.DryRun}: true': the rotation deleted nothing.`)
  return report
}

/** The report as a job summary table: every backup, kept (with the rules) or deleted. */
export function rotationTable(report: RotationReport): SummaryTable {
  return {
    caption: `Rotation of the backups under '${report.prefix}'${report.dryRun ? ' (dry run: nothing deleted)' : ''}`,
    header: ['Backup', 'Time (UTC)', 'Decision', 'Why'],
    rows: report.rows.map(r => [r.name, r.createdAt ?? 'unreadable', r.decision, r.why])
  }
}

/**
 * The rotation after a backup, when a 'keep-*' rule is set: called only once the backup is stored (publish returned),
 * never after a failed one; its table and notes join the backup's summary. A failing rotation fails the job, saying
 * the backup itself was stored.
 */
export async function rotateAfterBackup(
  storage: BackupStorage,
  settings: Settings,
  justMade: string,
  result: JobResult,
  logger: Logger
): Promise<JobResult> {
  if (!rotationWanted(settings)) return result
  const report = await logger
    .group(`Rotate the backups under '${settings.storage.namePrefix}'`, async () =>
      rotate(storage, settings, justMade, logger)
    )
    .catch((error: unknown) => {
      throw new StorageError(
        `The backup '${justMade}' was stored, but the rotation failed: ${(error as Error).message}`,
        {
          cause: error
        }
      )
    })
  return {
    ...result,
    summary: {
      ...result.summary,
      tables: [...result.summary.tables, rotationTable(report)],
      notes: [...result.summary.notes, ...report.notes]
    }
  }
}

function removedRow(backup: FoundBackup, decision: string): RotationReport['rows'][number] {
  return { name: backup.name, createdAt: backup.createdAt, decision, why: 'no rule keeps it' }
}

function describeReason(reason: KeepReason): string {
  if (reason.startsWith('oldest ')) return `keep-${reason.slice('oldest '.length)} (oldest backup)`
  return ['last', 'daily', 'weekly', 'monthly', 'yearly'].includes(reason) ? `keep-${reason}` : reason
}

function describeRules(settings: Settings): string {
  const r = settings.rotation
  return (
    [
      ['last', r.keepLast],
      ['daily', r.keepDaily],
      ['weekly', r.keepWeekly],
      ['monthly', r.keepMonthly],
      ['yearly', r.keepYearly]
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([rule, n]) => `keep-${rule} ${n}`)
    .join(', ')
}

/** A deletion failed: the rotation stops there, and says what it had done and what is left. */
function stopped(error: unknown, report: RotationReport, left: number): StorageError {
  const done = `The rotation stopped after deleting ${report.deleted} backup(s); ${left} it meant to delete remain.`
  return new StorageError(`${(error as Error).message} ${done}`, { cause: error })
}
