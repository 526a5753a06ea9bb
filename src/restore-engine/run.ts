import * as path from 'node:path'
import { RestoreError } from '../shared/errors.js'
import { executeRestore } from './execute.js'
import { describeInterrupted, findInterruptedRestores, interruptedRefusal } from './interrupted-detect.js'
import { finishInterrupted, rollBackInterrupted } from './interrupted.js'
import { rollBack } from './rollback.js'
import { JournalWriter } from './journal.js'
import { assertEnoughSpace, planRestore } from './plan.js'
import { formatPlan } from './plan-format.js'
import type { RestoreDeps, RestoreRequest, RestoreResult } from './types.js'
import { Input } from '../shared/io-names.js'

/**
 * The restore engine's entry point, after the caller verified the archive and checked the server is stopped:
 * deal with an unfinished earlier restore as `interrupted-restore` says, plan, then print the plan (dry run) or
 * carry it out.
 */
export async function runRestore(req: RestoreRequest, deps: RestoreDeps): Promise<RestoreResult> {
  const home = path.resolve(req.home)
  const unfinished = await findInterruptedRestores(home)
  let handled: RestoreResult['interrupted']
  if (unfinished.length > 0) {
    if (!req.interrupted) throw interruptedRefusal(home, unfinished)
    if (req.dryRun) {
      for (const u of unfinished) {
        deps.logger.warning(`Dry run: would ${req.interrupted} the interrupted ${describeInterrupted(u.journal)}`)
      }
      if (req.interrupted === 'finish')
        return { id: unfinished[0].journal.id, restored: [], previousDir: null, indexesReset: [], plan: null }
    } else if (req.interrupted === 'finish') {
      if (unfinished.length > 1) {
        throw new RestoreError(
          `${unfinished.length} unfinished restores are in ${home}; only one can be finished. Use ` +
            `'${Input.InterruptedRestore}: rollback' to undo them all (newest first).`
        )
      }
      const only = unfinished[0]
      if (!only.journal.swapsBegan) {
        // It never changed the home: nothing to finish, so discard it and run this restore.
        await rollBack(new JournalWriter(only.journal, deps.onStep), deps)
        deps.logger.info(`The interrupted restore ${only.journal.id} had not changed the home yet; discarded it.`)
        handled = { id: only.journal.id, action: 'rollback' }
      } else {
        return await finishInterrupted(only, deps, req.backup.name)
      }
    } else {
      for (const u of [...unfinished].reverse()) await rollBackInterrupted(u, deps)
      handled = { id: unfinished[unfinished.length - 1].journal.id, action: 'rollback' }
    }
  } else if (req.interrupted) {
    deps.logger.info(
      `'${Input.InterruptedRestore}: ${req.interrupted}' given, but no unfinished restore is in ${home}.`
    )
  }

  const plan = await planRestore(req, deps)
  if (req.dryRun) {
    deps.logger.info(`Dry run: nothing is changed.\n${formatPlan(plan)}`)
    for (const w of plan.warnings) deps.logger.warning(w)
    return {
      id: plan.id,
      restored: [...plan.components.map(c => c.name), ...(plan.databases.length > 0 ? ['databases'] : [])],
      previousDir: plan.previousDir,
      indexesReset: plan.indexReset.reset ? plan.indexReset.folders : [],
      plan
    }
  }
  const result = await executeRestore(plan, deps)
  return handled ? { ...result, interrupted: handled } : result
}

/**
 * What a restore can be refused for while the server still runs, so that a refusal costs no outage: an unfinished
 * earlier restore with no 'interrupted-restore' to deal with it, the plan's own refusals (a component the backup
 * lacks, a previous-path on another filesystem) and the space and inodes the staging copy needs. runRestore checks
 * all of it again once the server is down. With an unfinished restore to deal with, the plan waits for that: the home
 * is not yet what it will see.
 */
export async function checkRestoreBeforeStop(req: RestoreRequest, deps: RestoreDeps): Promise<void> {
  const home = path.resolve(req.home)
  const unfinished = await findInterruptedRestores(home)
  if (unfinished.length > 0) {
    if (!req.interrupted) throw interruptedRefusal(home, unfinished)
    return
  }
  assertEnoughSpace(await planRestore(req, deps))
}
