import { chmod, copyFile, mkdir, rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { RestoreError } from '../shared/errors.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'
import { defaultStatfs, exists, isEmptyDir, lstatOrNull, removeIfEmpty } from './fs-ops.js'
import { JournalWriter, writeJournal } from './journal.js'
import { removeOwnerMark, writeOwnerMark } from './journal-check.js'
import { JOURNAL_FORMAT, JOURNAL_VERSION } from './journal-schema.js'
import { assertEnoughSpace, freeInodes } from './plan.js'
import { formatPlan } from './plan-format.js'
import { type Activity, carryOutSwapsAndAfter } from './forward.js'
import { describeFailedRollback, msg, rollBack, RestoreFailedError } from './rollback.js'
import type { Journal, RestoreDeps, RestorePlan, RestoreResult } from './types.js'
import { HOME_PREFIX } from '../format/manifest.js'
import { findInterruptedRestores, interruptedRefusal } from './interrupted-detect.js'

/**
 * Carries out a plan from `planRestore`: stage every component, then swap them in one by one, restore the databases
 * and reset the indexes, journaling each step. Any failure rolls back everything done so far and throws
 * RestoreFailedError; the caller has checked that the server is stopped and that no restore is unfinished.
 */
export async function executeRestore(plan: RestorePlan, deps: RestoreDeps): Promise<RestoreResult> {
  const { logger } = deps
  const unfinished = await findInterruptedRestores(plan.home)
  if (unfinished.length > 0) throw interruptedRefusal(plan.home, unfinished)
  // The plan may be old (a dry run reviewed earlier): measure the space again right before changing anything.
  const fsInfo = await (deps.statfs ?? defaultStatfs)(plan.space.checkedPath)
  assertEnoughSpace({
    ...plan,
    space: { ...plan.space, freeBytes: fsInfo.bavail * fsInfo.bsize, freeInodes: freeInodes(fsInfo) }
  })
  if (await exists(plan.workDir)) throw new RestoreError(`${plan.workDir} already exists; restore ids must be unique.`)
  logger.info(formatPlan(plan))
  for (const w of plan.warnings) logger.warning(w)

  const homeCreated = !(await exists(plan.home))
  const journal: Journal = {
    format: JOURNAL_FORMAT,
    version: JOURNAL_VERSION,
    id: plan.id,
    home: plan.home,
    homeCreated,
    workDir: plan.workDir,
    stagingDir: plan.stagingDir,
    previousDir: plan.previousDir,
    backupName: plan.backupName,
    startedAt: new Date().toISOString(),
    state: 'staging',
    swapsBegan: false,
    components: [],
    databases: plan.databases.map(d => ({ role: d.role, safetyDumpDir: d.safetyDumpDir })),
    indexFolders: plan.indexReset.reset ? plan.indexReset.folders : [],
    steps: []
  }
  for (const c of plan.components) {
    journal.components.push({ name: c.name, hadCurrent: (await lstatOrNull(path.join(plan.home, c.name))) !== null })
  }
  try {
    if (homeCreated) {
      await mkdir(plan.home, { recursive: true, mode: 0o750 })
      logger.info(`Created the home ${plan.home}`)
    }
    const homeSt = await stat(plan.home)
    journal.homeIdentity = { dev: homeSt.dev, ino: homeSt.ino }
    await mkdir(plan.workDir, { mode: PRIVATE_DIR_MODE })
    await mkdir(plan.stagingDir, { mode: PRIVATE_DIR_MODE })
    await mkdir(path.dirname(plan.previousDir), { recursive: true })
    await mkdir(plan.previousDir, { mode: PRIVATE_DIR_MODE })
    if (!isInside(plan.previousDir, plan.workDir)) await writeOwnerMark(journal)
    await writeJournal(journal)
  } catch (err) {
    await rm(plan.workDir, { recursive: true, force: true })
    if (!isInside(plan.previousDir, plan.workDir)) await removeOwnerMark(journal)
    await removeIfEmpty(plan.previousDir)
    if (homeCreated) await removeIfEmpty(plan.home)
    throw new RestoreError(`Could not prepare the restore in ${plan.home}: ${msg(err)}. Nothing was changed.`, {
      cause: err
    })
  }

  const w = new JournalWriter(journal, deps.onStep)
  const activity: Activity = { now: 'starting' }

  try {
    for (const c of plan.components) {
      activity.now = `extracting ${c.name}`
      const prefix = `${HOME_PREFIX}${c.name}${c.backup.type === 'directory' ? '/' : ''}`
      await deps.extractor.extract(prefix, path.join(plan.stagingDir, c.name))
      await w.step('staged', c.name)
    }
    if (plan.rewriteConf && deps.rewriteConf) {
      activity.now = 'rewriting the restored conf/ for the drill database'
      logger.info('Rewriting the restored conf/ so the server uses the drill database, not the production one')
      await deps.rewriteConf(path.join(plan.stagingDir, 'conf'))
      await w.step('conf-rewritten', 'conf')
    }
    if (deps.beforeSwaps) {
      activity.now = 'checking the backup file against its digest'
      await deps.beforeSwaps()
    }
    journal.swapsBegan = true
    await w.setState('swapping')
    await carryOutSwapsAndAfter(w, deps, activity)
  } catch (err) {
    throw await failAndRollBack(w, deps, activity.now, err)
  }
  return await finishSuccessfully(w, deps, plan)
}

/** Rolls back after `err` and builds the error to throw: either "home as before" or the exact state and the fix. */
export async function failAndRollBack(
  w: JournalWriter,
  deps: RestoreDeps,
  during: string,
  err: unknown
): Promise<RestoreFailedError> {
  const j = w.journal
  const cause = `${during}: ${msg(err)}`
  deps.logger.error(`Restore ${j.id} failed while ${cause}. Rolling back.`)
  const journalPath = path.join(j.workDir, 'journal.json')
  let outcome
  try {
    await w.setState(j.state, cause)
    outcome = await rollBack(w, deps)
  } catch (rollbackErr) {
    outcome = { problems: [`the rollback itself stopped: ${msg(rollbackErr)}`], databasesRestored: [] }
  }
  if (outcome.problems.length === 0) {
    const dbs = outcome.databasesRestored.length
      ? ` and the ${outcome.databasesRestored.join(', ')} database(s) were put back from their safety dumps`
      : ''
    return new RestoreFailedError(
      `Restore of ${j.backupName} into ${j.home} failed while ${cause}. Every change was undone: the home is as it ` +
        `was before the restore${dbs}. Fix the cause and run the restore again.`,
      true,
      journalPath,
      { cause: err }
    )
  }
  return new RestoreFailedError(
    `Restore of ${j.backupName} into ${j.home} failed while ${cause}.\n` +
      (await describeFailedRollback(j, outcome.problems, journalPath)),
    false,
    journalPath,
    { cause: err }
  )
}

/** Marks the journal done, drops staging, and keeps the previous folder (with a copy of the journal) when it holds anything. */
export async function finishSuccessfully(
  w: JournalWriter,
  deps: RestoreDeps,
  plan: RestorePlan | null
): Promise<RestoreResult> {
  const j = w.journal
  await w.setState('done')
  await rm(j.stagingDir, { recursive: true, force: true })
  const previousExternal = !isInside(j.previousDir, j.workDir)
  if (previousExternal) await removeOwnerMark(j)
  let previousDir: string | null = j.previousDir
  if (await isEmptyDir(j.previousDir)) {
    await rm(j.previousDir, { recursive: true, force: true })
    await rm(j.workDir, { recursive: true, force: true })
    previousDir = null
  } else if (previousExternal) {
    // The home keeps no trace of the restore; its record travels with what it replaced.
    const copy = path.join(j.previousDir, 'restore-journal.json')
    await copyFile(path.join(j.workDir, 'journal.json'), copy)
    await chmod(copy, 0o600)
    await rm(j.workDir, { recursive: true, force: true })
  }
  const restored = [...j.components.map(c => c.name), ...(j.databases.length > 0 ? ['databases'] : [])]
  deps.logger.info(
    `Restore ${j.id} done: ${restored.join(', ') || 'nothing'} restored.` +
      (previousDir ? ` What it replaced is kept in ${previousDir} until you delete it.` : '')
  )
  return { id: j.id, restored, previousDir, indexesReset: [...j.indexFolders], plan }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
