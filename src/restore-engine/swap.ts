import * as path from 'node:path'
import { RestoreError } from '../shared/errors.js'
import { durableRename, exists } from './fs-ops.js'
import type { JournalWriter } from './journal.js'
import type { Journal } from './types.js'

type JournalComponent = Journal['components'][number]

function paths(j: Journal, name: string) {
  return {
    current: path.join(j.home, name),
    staged: path.join(j.stagingDir, name),
    kept: path.join(j.previousDir, name)
  }
}

/*
 * A component is always in one of three states, told apart by what exists (renames are atomic):
 *   before   home/<c> is the current one (or absent), staging/<c> holds the backup's
 *   aside    the current one is in previous/<c>, home/<c> absent, staging/<c> holds the backup's
 *   in       the current one is in previous/<c> (if there was one), home/<c> is the backup's, staging/<c> absent
 * so both directions can resume from any point, including after a crash between a rename and its journal line.
 */

/** Moves the current one aside and the staged one in; resumes from whichever state the component is in. */
export async function swapIn(w: JournalWriter, c: JournalComponent): Promise<void> {
  const p = paths(w.journal, c.name)
  if (!(await exists(p.staged))) {
    if (await exists(p.current)) return // already in
    throw new RestoreError(`${c.name}: neither the staged copy ${p.staged} nor ${p.current} exists.`)
  }
  if (await exists(p.current)) {
    if (!c.hadCurrent) {
      throw new RestoreError(
        `${p.current} appeared while the restore ran (it was absent when it started); refusing to replace it.`
      )
    }
    await durableRename(p.current, p.kept)
    await w.step('moved-aside', c.name)
  }
  await durableRename(p.staged, p.current)
  await w.step('moved-in', c.name)
}

/** Undoes `swapIn` from whichever state the component is in. The backup's copy goes back to staging (removed later). */
export async function swapBack(w: JournalWriter, c: JournalComponent): Promise<void> {
  const p = paths(w.journal, c.name)
  if (!(await exists(p.staged)) && (await exists(p.current))) {
    await durableRename(p.current, p.staged)
    await w.step('moved-out', c.name)
  }
  if (c.hadCurrent && !(await exists(p.current))) {
    if (!(await exists(p.kept))) {
      throw new RestoreError(`${c.name}: neither ${p.current} nor the kept copy ${p.kept} exists.`)
    }
    await durableRename(p.kept, p.current)
    await w.step('moved-back', c.name)
  }
}

/** One line per component saying where things are now and, when it is not as before, the commands that undo it. */
export async function describeComponent(j: Journal, c: JournalComponent): Promise<string> {
  const p = paths(j, c.name)
  const [cur, staged, kept] = [await exists(p.current), await exists(p.staged), await exists(p.kept)]
  if (staged && cur === c.hadCurrent && !kept) return `${c.name}: as before the restore`
  if (!staged && cur) {
    return c.hadCurrent && kept
      ? `${c.name}: the backup's copy is in the home, the previous one at ${p.kept} (to undo: mv '${p.current}' '${p.staged}' && mv '${p.kept}' '${p.current}')`
      : `${c.name}: the backup's copy is in the home (it had none before; to undo: mv '${p.current}' '${p.staged}')`
  }
  if (!cur && kept)
    return `${c.name}: NOT in the home; the previous one is at ${p.kept} (to undo: mv '${p.kept}' '${p.current}')`
  return `${c.name}: home ${cur ? 'has' : 'lacks'} it, staging ${staged ? 'has' : 'lacks'} it, previous ${kept ? 'has' : 'lacks'} it — check by hand`
}
