import { rm } from 'node:fs/promises'
import { RestoreError } from '../shared/errors.js'
import { isEmptyDir, removeIfEmpty } from './fs-ops.js'
import { moveIndexContentsBack } from './indexes.js'
import type { JournalWriter } from './journal.js'
import { describeComponent, swapBack } from './swap.js'
import type { Journal, RestoreDeps } from './types.js'
import { Input } from '../shared/io-names.js'

/** A restore that failed; `rolledBack` says whether everything was put back as it was. */
export class RestoreFailedError extends RestoreError {
  constructor(
    message: string,
    readonly rolledBack: boolean,
    readonly journalPath: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

export interface RollbackOutcome {
  /** Empty when everything was put back. */
  problems: string[]
  /** Databases put back from their safety dumps. */
  databasesRestored: string[]
}

/**
 * Undoes, in reverse order, whatever the journal and the filesystem show was done: index moves, database restores
 * (from the safety dumps), swaps. Keeps going after a failed step so as much as possible is put back, and reports
 * every step it could not undo. Safe to run again on a journal left in 'rolling-back' or 'rollback-failed'.
 */
export async function rollBack(w: JournalWriter, deps: RestoreDeps): Promise<RollbackOutcome> {
  const j = w.journal
  const problems: string[] = []
  const databasesRestored: string[] = []
  await w.setState('rolling-back')
  for (const folder of [...j.indexFolders].reverse()) {
    if (!w.has('index-reset-started', folder)) continue
    try {
      await moveIndexContentsBack(j.home, j.previousDir, folder)
      await w.step('index-restored', folder)
    } catch (err) {
      problems.push(`index folder ${folder}: could not move its contents back from the previous folder: ${msg(err)}`)
    }
  }
  for (const d of [...j.databases].reverse()) {
    if (!w.has('db-restore-started', d.role) || w.has('db-rolled-back', d.role)) continue
    const target = deps.databases ? deps.databases.describe(d.role) : `the ${d.role} database`
    if (!d.safetyDumpDir || !w.has('safety-dump-done', d.role)) {
      problems.push(
        `database ${d.role} (${target}): it was being overwritten and no safety dump was taken ('${Input.SafetyDump}: false'), ` +
          `so it is as the failed restore left it. Restore it from your own copy.`
      )
    } else if (!deps.databases?.rollback) {
      problems.push(
        `database ${d.role} (${target}): it was being overwritten; put it back by hand from the safety dump in ` +
          `${d.safetyDumpDir} (pg_restore / mysql, see docs/restore.md).`
      )
    } else {
      try {
        deps.logger.info(`Putting the ${d.role} database back from its safety dump ${d.safetyDumpDir}`)
        await deps.databases.rollback(d.role, d.safetyDumpDir)
        await w.step('db-rolled-back', d.role)
        databasesRestored.push(d.role)
      } catch (err) {
        problems.push(
          `database ${d.role} (${target}): putting it back from the safety dump in ${d.safetyDumpDir} failed: ` +
            `${msg(err)}. Restore that dump by hand.`
        )
      }
    }
  }
  if (j.swapsBegan) {
    for (const c of [...j.components].reverse()) {
      try {
        await swapBack(w, c)
      } catch (err) {
        problems.push(`${c.name}: ${msg(err)}`)
      }
    }
  }
  if (problems.length > 0) {
    await w.setState('rollback-failed', problems.join('\n'))
    return { problems, databasesRestored }
  }
  await w.setState('rolled-back')
  await removeRestoreLeftovers(j)
  return { problems, databasesRestored }
}

/** After a complete rollback nothing of the restore is needed: the home is exactly as it was. */
async function removeRestoreLeftovers(j: Journal): Promise<void> {
  if (!j.previousDir.startsWith(j.workDir)) await rm(j.previousDir, { recursive: true, force: true })
  await rm(j.workDir, { recursive: true, force: true })
  if (j.homeCreated && (await isEmptyDir(j.home))) await removeIfEmpty(j.home)
}

/** The message for a restore that failed and could not be fully undone: what is where and how to fix it by hand. */
export async function describeFailedRollback(j: Journal, problems: string[], journalPath: string): Promise<string> {
  const lines = ['Rolling back ALSO failed, so the home is NOT entirely as before. What could not be undone:']
  for (const p of problems) lines.push(`  - ${p}`)
  lines.push('Where each component is now:')
  if (j.swapsBegan) for (const c of j.components) lines.push(`  - ${await describeComponent(j, c)}`)
  else lines.push('  - no component was swapped: the home files are as before')
  lines.push(
    `The journal ${journalPath} records every step. Once the cause is fixed, run the restore again with ` +
      `'${Input.InterruptedRestore}: rollback' to finish undoing it, or move the folders back by hand as shown above. ` +
      `Do not delete ${j.workDir} or ${j.previousDir} until then: they hold the only copies.`
  )
  return lines.join('\n')
}

export function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
