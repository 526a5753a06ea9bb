import * as path from 'node:path'
import { RestoreError } from '../shared/errors.js'
import { findUnfinishedJournals } from './journal.js'
import type { Journal } from './types.js'
import { Input } from '../shared/io-names.js'

export interface InterruptedRestore {
  journalPath: string
  journal: Journal
}

/** Restores in the home whose journal is neither done nor rolled back: the runner died, or a rollback failed. */
export async function findInterruptedRestores(home: string): Promise<InterruptedRestore[]> {
  const found = await findUnfinishedJournals(path.resolve(home))
  return found.map(f => ({ journalPath: f.file, journal: f.journal }))
}

/** What was in flight, from the journal: for the refusal message and the log. */
export function describeInterrupted(j: Journal): string {
  const did = (kind: string, t: string) => j.steps.some(s => s.kind === kind && s.target === t)
  const parts: string[] = [`restore ${j.id} of backup ${j.backupName}, started ${j.startedAt}, state '${j.state}'`]
  if (!j.swapsBegan) {
    parts.push('it was still unpacking into its staging folder: the home was not changed yet')
  } else {
    const inHome = j.components.filter(c => did('moved-in', c.name) && !did('moved-out', c.name)).map(c => c.name)
    const pending = j.components.filter(c => !did('moved-in', c.name)).map(c => c.name)
    if (inHome.length) parts.push(`swapped in from the backup: ${inHome.join(', ')}`)
    if (pending.length) parts.push(`not swapped yet: ${pending.join(', ')}`)
    for (const d of j.databases) {
      if (did('db-restore-done', d.role)) parts.push(`database ${d.role} restored`)
      else if (did('db-restore-started', d.role))
        parts.push(`database ${d.role} was being overwritten (it may be incomplete)`)
      if (d.safetyDumpDir && did('safety-dump-done', d.role)) parts.push(`its safety dump is in ${d.safetyDumpDir}`)
    }
    const emptied = j.indexFolders.filter(f => did('index-reset-started', f))
    if (emptied.length) parts.push(`JCR index folders emptied: ${emptied.join(', ')}`)
  }
  if (j.failure) parts.push(`last failure: ${j.failure.split('\n')[0]}`)
  return parts.join('; ')
}

export function interruptedRefusal(home: string, found: InterruptedRestore[]): RestoreError {
  const list = found.map(f => `  - ${describeInterrupted(f.journal)} (journal ${f.journalPath})`).join('\n')
  return new RestoreError(
    `An earlier restore into ${home} did not finish, so the home may be half restored:\n${list}\n` +
      `Nothing was changed by this run. Run it again with '${Input.InterruptedRestore}: rollback' to put the home (and any ` +
      `database it overwrote, from its safety dump) back exactly as it was before that restore; this run's restore ` +
      `then proceeds. Or use '${Input.InterruptedRestore}: finish' to complete that restore instead (its remaining ` +
      `database steps need the same backup, ${found[0].journal.backupName}); this run then stops there. See ` +
      `docs/restore.md, "Interrupted restores".`
  )
}
