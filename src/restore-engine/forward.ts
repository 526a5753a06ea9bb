import { mkdir, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { RestoreError } from '../shared/errors.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'
import { moveIndexContentsAside } from './indexes.js'
import type { JournalWriter } from './journal.js'
import { swapIn } from './swap.js'
import type { RestoreDeps } from './types.js'

/** Tells the failure message which step was running. */
export interface Activity {
  now: string
}

/*
 * The steps after staging, each resumable: a fresh run (`executeRestore`) and `interrupted-restore: finish` both call
 * them, the latter skipping what the journal (and the filesystem) show as done.
 */

export async function swapComponents(w: JournalWriter, deps: RestoreDeps, activity: Activity): Promise<void> {
  for (const c of w.journal.components) {
    activity.now = `swapping ${c.name}`
    await swapIn(w, c)
    deps.logger.info(
      `Swapped in ${c.name}${c.hadCurrent ? ` (previous kept in ${path.join(w.journal.previousDir, c.name)})` : ''}`
    )
  }
}

export async function restoreDatabases(w: JournalWriter, deps: RestoreDeps, activity: Activity): Promise<void> {
  const pending = w.journal.databases.filter(d => !w.has('db-restore-done', d.role))
  if (pending.length === 0) return
  const restorer = deps.databases
  if (!restorer) throw new RestoreError('The databases must be restored but no database restorer was given.')
  for (const d of pending) {
    const target = restorer.describe(d.role)
    // A safety dump is taken once: redoing it after the restore began would save the half-restored database instead.
    if (d.safetyDumpDir && !w.has('safety-dump-done', d.role)) {
      activity.now = `taking the safety dump of the ${d.role} database (${target})`
      await rm(d.safetyDumpDir, { recursive: true, force: true })
      await mkdir(d.safetyDumpDir, { recursive: true, mode: PRIVATE_DIR_MODE })
      await w.step('safety-dump-started', d.role)
      deps.logger.info(`Safety dump of the ${d.role} database (${target}) into ${d.safetyDumpDir}`)
      await restorer.safetyDump(d.role, d.safetyDumpDir)
      await w.step('safety-dump-done', d.role)
    }
    activity.now = `restoring the ${d.role} database (${target})`
    await w.step('db-restore-started', d.role)
    deps.logger.info(`Restoring the ${d.role} database into ${target}`)
    await restorer.restore(d.role)
    await w.step('db-restore-done', d.role)
  }
}

export async function resetIndexes(w: JournalWriter, deps: RestoreDeps, activity: Activity): Promise<void> {
  for (const folder of w.journal.indexFolders) {
    if (w.has('index-reset-done', folder)) continue
    activity.now = `emptying the JCR index folder ${folder}`
    await w.step('index-reset-started', folder)
    const moved = await moveIndexContentsAside(w.journal.home, w.journal.previousDir, folder)
    await w.step('index-reset-done', folder)
    deps.logger.info(
      `Emptied ${folder} (${moved} entries kept in the previous folder); the server rebuilds it at start`
    )
  }
}

/** Everything after staging, in the vendor's order: the folders, then the databases, then the search indexes. */
export async function carryOutSwapsAndAfter(w: JournalWriter, deps: RestoreDeps, activity: Activity): Promise<void> {
  await swapComponents(w, deps, activity)
  await restoreDatabases(w, deps, activity)
  await resetIndexes(w, deps, activity)
}
