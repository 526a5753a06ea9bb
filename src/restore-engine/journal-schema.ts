import * as path from 'node:path'
import { RestoreError } from '../shared/errors.js'
import { JCR_INDEX_FOLDERS } from './indexes.js'
import type { Journal, JournalState, JournalStepKind } from './types.js'

/*
 * A journal found in the home tells a later run which folders to rename back and which to delete. Anyone who can
 * write into the home (or copy it) can leave one there, so nothing in it is taken on trust: every field has one
 * allowed shape, every path is derived from the home and the restore id and must match what the journal says, and
 * the journal must belong to the very home folder it was found in (not a copy of it).
 */

export const JOURNAL_FORMAT = 'xlr-restore-journal'
/** 2 records the home's identity; 1 (before it) is still read when all its paths are inside its work folder. */
export const JOURNAL_VERSION = 2

const STATES: readonly JournalState[] = [
  'staging',
  'swapping',
  'done',
  'rolling-back',
  'rolled-back',
  'rollback-failed'
]
const STEP_KINDS: readonly JournalStepKind[] = [
  'staged',
  'conf-rewritten',
  'moved-aside',
  'moved-in',
  'safety-dump-started',
  'safety-dump-done',
  'db-restore-started',
  'db-restore-done',
  'index-reset-started',
  'index-reset-done',
  'index-restored',
  'db-rolled-back',
  'moved-out',
  'moved-back'
]
const ROLES = ['repository', 'archive'] as const
const ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,99}$/
const TEXT_LIMIT = 64 * 1024

/** The journal names something it must not: the message says which field, why, and what to do. */
export class ForeignJournalError extends RestoreError {}

/**
 * Checks the shape of a parsed journal: exactly the known fields, each of its type, names and roles from fixed sets,
 * and every path equal to the one the home and the id give. Throws ForeignJournalError naming the field.
 */
export function parseJournal(value: unknown, file: string): Journal {
  const bad = (field: string, why: string): never => {
    throw foreign(file, `its ${field} ${why}`)
  }
  const j = record(value, 'the journal', bad)
  if (j.format !== JOURNAL_FORMAT) bad('format', `is ${show(j.format)}, not '${JOURNAL_FORMAT}'`)
  if (j.version !== 1 && j.version !== JOURNAL_VERSION) bad('version', `is ${show(j.version)}, not 1 or 2`)
  const known = [
    'format',
    'version',
    'id',
    'home',
    'homeIdentity',
    'homeCreated',
    'workDir',
    'stagingDir',
    'previousDir',
    'backupName',
    'startedAt',
    'state',
    'swapsBegan',
    'components',
    'databases',
    'indexFolders',
    'steps',
    'failure'
  ]
  for (const key of Object.keys(j)) if (!known.includes(key)) bad(`field ${show(key)}`, 'is not a journal field')

  const id = text(j.id, 'id', bad)
  if (!ID.test(id)) bad('id', `${show(id)} is not a restore id (letters, digits, '-' and '_')`)
  const home = absolute(j.home, 'home', bad)
  const workDir = absolute(j.workDir, 'workDir', bad)
  if (workDir !== path.join(home, `.xlr-restore-${id}`))
    bad('workDir', `${show(workDir)} is not <home>/.xlr-restore-${id}`)
  const stagingDir = absolute(j.stagingDir, 'stagingDir', bad)
  if (stagingDir !== path.join(workDir, 'staging')) bad('stagingDir', `${show(stagingDir)} is not <workDir>/staging`)
  const previousDir = absolute(j.previousDir, 'previousDir', bad)
  const previousInside = previousDir === path.join(workDir, 'previous')
  if (!previousInside && path.basename(previousDir) !== `xlr-restore-${id}`) {
    bad('previousDir', `${show(previousDir)} is neither <workDir>/previous nor a folder named xlr-restore-${id}`)
  }
  if (isInside(home, previousDir)) bad('previousDir', `${show(previousDir)} holds the home itself`)
  let homeIdentity: Journal['homeIdentity']
  if (j.version === JOURNAL_VERSION) {
    const idt = record(j.homeIdentity, 'homeIdentity', bad)
    for (const key of Object.keys(idt)) if (key !== 'dev' && key !== 'ino') bad(`homeIdentity.${key}`, 'is unknown')
    homeIdentity = { dev: count(idt.dev, 'homeIdentity.dev', bad), ino: count(idt.ino, 'homeIdentity.ino', bad) }
  } else {
    if (j.homeIdentity !== undefined) bad('homeIdentity', 'is not part of a version 1 journal')
    if (!previousInside) {
      bad(
        'previousDir',
        `${show(previousDir)} is outside the home, and a version 1 journal does not record which home it belongs to`
      )
    }
  }

  const components: Journal['components'] = list(j.components, 'components', bad).map((c, i) => {
    const o = record(c, `components[${i}]`, bad)
    only(o, ['name', 'hadCurrent'], `components[${i}]`, bad)
    const name = text(o.name, `components[${i}].name`, bad)
    if (!isTopLevelName(name)) bad(`components[${i}].name`, `${show(name)} is not the name of an entry of the home`)
    return { name, hadCurrent: flag(o.hadCurrent, `components[${i}].hadCurrent`, bad) }
  })
  unique(
    components.map(c => c.name),
    'components',
    bad
  )
  for (const c of components) {
    if (isInside(previousDir, path.join(home, c.name))) {
      bad('previousDir', `${show(previousDir)} is inside ${c.name}/, which the restore replaces`)
    }
  }

  const databases: Journal['databases'] = list(j.databases, 'databases', bad).map((d, i) => {
    const o = record(d, `databases[${i}]`, bad)
    only(o, ['role', 'safetyDumpDir'], `databases[${i}]`, bad)
    const role = o.role as (typeof ROLES)[number]
    if (!ROLES.includes(role)) bad(`databases[${i}].role`, `${show(o.role)} is not repository or archive`)
    const dump = o.safetyDumpDir
    if (dump !== null && dump !== path.join(previousDir, 'databases', role)) {
      bad(`databases[${i}].safetyDumpDir`, `${show(dump)} is not null nor <previousDir>/databases/${role}`)
    }
    return { role, safetyDumpDir: dump as string | null }
  })
  unique(
    databases.map(d => d.role),
    'databases',
    bad
  )

  const indexFolders = list(j.indexFolders, 'indexFolders', bad).map((f, i) => {
    if (typeof f !== 'string' || !JCR_INDEX_FOLDERS.includes(f)) {
      bad(`indexFolders[${i}]`, `${show(f)} is not one of the JCR index folders`)
    }
    return f as string
  })
  unique(indexFolders, 'indexFolders', bad)

  const targets = new Set<string>([...components.map(c => c.name), ...databases.map(d => d.role), ...indexFolders])
  const steps: Journal['steps'] = list(j.steps, 'steps', bad).map((s, i) => {
    const o = record(s, `steps[${i}]`, bad)
    only(o, ['kind', 'target', 'at'], `steps[${i}]`, bad)
    const kind = o.kind as JournalStepKind
    if (!STEP_KINDS.includes(kind)) bad(`steps[${i}].kind`, `${show(o.kind)} is not a journal step`)
    const target = text(o.target, `steps[${i}].target`, bad)
    if (!targets.has(target) && !(kind === 'conf-rewritten' && target === 'conf')) {
      bad(`steps[${i}].target`, `${show(target)} is none of the journal's components, databases or index folders`)
    }
    return { kind, target, at: text(o.at, `steps[${i}].at`, bad) }
  })

  const state = j.state as JournalState
  if (!STATES.includes(state)) bad('state', `${show(j.state)} is not a journal state`)
  const journal: Journal = {
    format: JOURNAL_FORMAT,
    version: j.version as 1 | 2,
    id,
    home,
    homeCreated: flag(j.homeCreated, 'homeCreated', bad),
    workDir,
    stagingDir,
    previousDir,
    backupName: text(j.backupName, 'backupName', bad),
    startedAt: text(j.startedAt, 'startedAt', bad),
    state,
    swapsBegan: flag(j.swapsBegan, 'swapsBegan', bad),
    components,
    databases,
    indexFolders,
    steps
  }
  if (homeIdentity) journal.homeIdentity = homeIdentity
  if (j.failure !== undefined) journal.failure = failureText(j.failure, bad)
  return journal
}

export function foreign(file: string, detail: string): ForeignJournalError {
  const workDir = path.dirname(file)
  return new ForeignJournalError(
    `Refusing the restore journal ${file}: ${detail}. A journal written by a restore of this home only names ` +
      `paths inside it (and its 'previous-path' folder), so this one was planted, edited, or belongs to another ` +
      `home; acting on it could rename or delete folders anywhere. Nothing was changed. Look at ${workDir} by hand: ` +
      `if no restore of this home left it, delete that folder (rm -rf '${workDir}') and run again; if one did, ` +
      `move its folders back by hand as its staging/ and previous/ folders show. See docs/restore.md, ` +
      `"Interrupted restores".`
  )
}

type Bad = (field: string, why: string) => never

function record(v: unknown, field: string, bad: Bad): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(field, 'is not an object')
  return v as Record<string, unknown>
}

function only(o: Record<string, unknown>, keys: string[], field: string, bad: Bad): void {
  for (const key of Object.keys(o)) if (!keys.includes(key)) bad(`${field}.${key}`, 'is not a journal field')
}

function list(v: unknown, field: string, bad: Bad): unknown[] {
  if (!Array.isArray(v)) return bad(field, 'is not a list')
  if (v.length > 10_000) return bad(field, 'has more than 10000 items')
  return v
}

/** A string of sane length without control characters: the journal's text reaches the log, where they could forge lines. */
function text(v: unknown, field: string, bad: Bad): string {
  if (typeof v !== 'string') return bad(field, 'is not a string')
  if (v.length > TEXT_LIMIT) return bad(field, `is longer than ${TEXT_LIMIT} characters`)
  if ([...v].some(isControl)) return bad(field, 'holds control characters')
  return v
}

/** The last failure is a tool's message as it came (it may hold escapes): kept, with controls other than \n shown as '?'. */
function failureText(v: unknown, bad: Bad): string {
  if (typeof v !== 'string') return bad('failure', 'is not a string')
  return [...v.slice(0, TEXT_LIMIT)].map(c => (c !== '\n' && isControl(c) ? '?' : c)).join('')
}

function isControl(c: string): boolean {
  const code = c.codePointAt(0)!
  return code < 0x20 || code === 0x7f
}

function flag(v: unknown, field: string, bad: Bad): boolean {
  if (typeof v !== 'boolean') return bad(field, 'is not true or false')
  return v
}

function count(v: unknown, field: string, bad: Bad): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return bad(field, 'is not a whole number')
  return v
}

/** An absolute path already in normal form: no '..', '.', doubled or trailing slashes to play with. */
function absolute(v: unknown, field: string, bad: Bad): string {
  const p = text(v, field, bad)
  if (!path.isAbsolute(p) || path.normalize(p) !== p || (p.length > 1 && p.endsWith(path.sep))) {
    return bad(field, `${show(p)} is not an absolute path in normal form`)
  }
  return p
}

/** One entry directly in the home: no separators, not '.'/'..', and not a restore's own work folder. */
function isTopLevelName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.startsWith('.xlr-restore-')
  )
}

function unique(values: string[], field: string, bad: Bad): void {
  const dup = values.find((v, i) => values.indexOf(v) !== i)
  if (dup !== undefined) bad(field, `names ${show(dup)} twice`)
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v))
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
