import { lstat, open, readFile, readdir, realpath, rename } from 'node:fs/promises'
import * as path from 'node:path'
import { WORK_DIR_PREFIX } from '../format/restore-work-dir.js'
import { RestoreError } from '../shared/errors.js'
import { PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { fsyncDir } from './fs-ops.js'
import { checkJournalBelongs } from './journal-check.js'
import { parseJournal } from './journal-schema.js'
import type { Journal, JournalState, JournalStep, JournalStepKind } from './types.js'

export const JOURNAL_FILE = 'journal.json'
/** Far above any real journal (a few KB: one line per step of a handful of components). */
const MAX_JOURNAL_BYTES = 16 * 1024 * 1024

/**
 * The journal is the restore's memory across a crash: written to a temporary file, fsynced, renamed over the old one
 * and the folder fsynced, so after a power cut it is either the previous version or the new one, never half.
 */
export async function writeJournal(journal: Journal): Promise<void> {
  const file = path.join(journal.workDir, JOURNAL_FILE)
  const tmp = `${file}.tmp`
  const handle = await open(tmp, 'w', PRIVATE_FILE_MODE)
  try {
    await handle.writeFile(`${JSON.stringify(journal, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  await fsyncDir(journal.workDir)
}

export async function readJournal(file: string): Promise<Journal> {
  let parsed: unknown
  try {
    // A planted journal may be a link to anything or huge: only a plain file of a sane size is read.
    const st = await lstat(file)
    if (!st.isFile()) throw new Error('it is not a plain file')
    if (st.size > MAX_JOURNAL_BYTES) throw new Error(`it is larger than ${MAX_JOURNAL_BYTES} bytes`)
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new RestoreError(
      `The restore journal ${file} cannot be read (${(err as Error).message}). It records a restore that did not ` +
        `finish; inspect the folder next to it by hand (staging/ holds what was being restored, previous/ what it ` +
        `replaced) before deleting it.`,
      { cause: err }
    )
  }
  return parseJournal(parsed, file)
}

export class JournalWriter {
  constructor(
    readonly journal: Journal,
    private readonly onStep?: (step: JournalStep, journal: Journal) => Promise<void> | void
  ) {}

  async step(kind: JournalStepKind, target: string): Promise<void> {
    const step: JournalStep = { kind, target, at: new Date().toISOString() }
    this.journal.steps.push(step)
    await writeJournal(this.journal)
    if (this.onStep) await this.onStep(step, this.journal)
  }

  async setState(state: JournalState, failure?: string): Promise<void> {
    this.journal.state = state
    if (failure !== undefined) this.journal.failure = failure
    await writeJournal(this.journal)
  }

  has(kind: JournalStepKind, target: string): boolean {
    return this.journal.steps.some(s => s.kind === kind && s.target === target)
  }
}

/** Journals in the home of restores that neither finished nor were rolled back. */
export async function findUnfinishedJournals(home: string): Promise<{ file: string; journal: Journal }[]> {
  let names: string[]
  try {
    names = await readdir(home)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const found: { file: string; journal: Journal }[] = []
  for (const name of names.filter(n => n.startsWith(WORK_DIR_PREFIX)).sort()) {
    const file = path.join(home, name, JOURNAL_FILE)
    let journal: Journal
    try {
      journal = await readJournal(file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || isMissing(err)) continue
      throw err
    }
    if (journal.state === 'done' || journal.state === 'rolled-back') continue
    // Only an unfinished journal is acted on, so only it has to prove it belongs to this very home.
    await checkJournalBelongs(file, journal, await realpath(home))
    found.push({ file, journal })
  }
  return found
}

function isMissing(err: unknown): boolean {
  const cause = (err as { cause?: NodeJS.ErrnoException }).cause
  return cause?.code === 'ENOENT'
}
