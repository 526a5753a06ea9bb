import { RestoreError } from '../shared/errors.js'
import { JournalWriter } from './journal.js'
import { describeInterrupted, type InterruptedRestore } from './interrupted-detect.js'
import { failAndRollBack, finishSuccessfully } from './execute.js'
import { type Activity, carryOutSwapsAndAfter } from './forward.js'
import { describeFailedRollback, rollBack, RestoreFailedError } from './rollback.js'
import type { RestoreDeps, RestoreResult } from './types.js'
import { Input } from '../shared/io-names.js'

/** Undoes an interrupted restore; throws RestoreFailedError when something could not be put back. */
export async function rollBackInterrupted(found: InterruptedRestore, deps: RestoreDeps): Promise<void> {
  const w = new JournalWriter(found.journal, deps.onStep)
  deps.logger.info(`Rolling back the interrupted ${describeInterrupted(found.journal)}`)
  const outcome = await rollBack(w, deps)
  if (outcome.problems.length > 0) {
    throw new RestoreFailedError(
      `Could not roll back the interrupted restore ${found.journal.id}.\n` +
        (await describeFailedRollback(found.journal, outcome.problems, found.journalPath)),
      false,
      found.journalPath
    )
  }
  deps.logger.info(`Interrupted restore ${found.journal.id} rolled back: the home is as it was before it.`)
}

/** Completes an interrupted restore from where it stopped; any failure rolls the whole restore back. */
export async function finishInterrupted(
  found: InterruptedRestore,
  deps: RestoreDeps,
  backupName: string
): Promise<RestoreResult> {
  const j = found.journal
  if (j.state === 'rolling-back' || j.state === 'rollback-failed') {
    throw new RestoreError(
      `The interrupted restore ${j.id} was being rolled back when it stopped; it cannot be finished. Use ` +
        `'${Input.InterruptedRestore}: rollback' to complete the rollback.`
    )
  }
  if (!j.swapsBegan) {
    throw new RestoreError(
      `The interrupted restore ${j.id} was still unpacking and had not changed the home: there is nothing to ` +
        `finish. Use '${Input.InterruptedRestore}: rollback' to discard it.`
    )
  }
  const dbPending = j.databases.some(d => !j.steps.some(s => s.kind === 'db-restore-done' && s.target === d.role))
  if (dbPending && j.backupName !== backupName) {
    throw new RestoreError(
      `The interrupted restore ${j.id} still has to restore databases from backup ${j.backupName}, but this run ` +
        `fetched ${backupName}. Run it with the same backup to finish it, or use '${Input.InterruptedRestore}: rollback'.`
    )
  }
  const w = new JournalWriter(j, deps.onStep)
  deps.logger.info(`Finishing the interrupted ${describeInterrupted(j)}`)
  const activity: Activity = { now: 'finishing the interrupted restore' }
  try {
    await w.setState('swapping')
    await carryOutSwapsAndAfter(w, deps, activity)
  } catch (err) {
    throw await failAndRollBack(w, deps, activity.now, err)
  }
  const result = await finishSuccessfully(w, deps, null)
  return { ...result, interrupted: { id: j.id, action: 'finish' } }
}
