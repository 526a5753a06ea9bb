import { randomBytes } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import { link, mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { HOME_LOCK_NAME } from '../format/home-lock-name.js'
import { XlrBackupError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { currentOwner, ownerIsGone, ownerTag, parseOwnerTag, type Owner } from './owner-tag.js'

/** Another run holds the home (or its lock file cannot be read). */
export class HomeLockedError extends XlrBackupError {}

/** What the lock file says about its holder: for a person (host, run, time) and for a later run (owner). */
interface LockRecord {
  tool: 'xlr-backup'
  purpose: string
  host: string
  pid: number
  /** The owner tag (lifecycle/owner-tag.ts): pid, process start time and host hash, to tell a dead holder. */
  owner: string
  runId: string
  startedAt: string
}

export interface HomeLockOptions {
  /** 'backup' or 'restore': named in the file and in a refused run's message. */
  purpose: string
  /**
   * Restore into a new home: create the home folder to hold the lock (removed again when it is still empty at the
   * end). A backup of a missing home runs unlocked, so that reading the home gives its own error.
   */
  createHome: boolean
  env?: NodeJS.ProcessEnv
}

/**
 * Runs `fn` holding the home's lock file, taken before anything else: a second backup or restore of the same home
 * fails at once, naming the holder. The file is created whole and atomically (written to a temporary file, then
 * hard-linked to its name, which fails when the name exists); a lock left by a process that is gone from this host
 * is broken with a warning. It is removed however `fn` ends, and by an exit handler when the process exits before
 * (a signal's fallback); only SIGKILL leaves it, and the next run then breaks it.
 */
export async function withHomeLock<T>(
  home: string,
  opts: HomeLockOptions,
  logger: Logger,
  fn: () => Promise<T>
): Promise<T> {
  let created = false
  const found = await stat(home).catch(() => null)
  // A home that is not a folder is the command's to refuse, with its own message.
  if (found && !found.isDirectory()) return await fn()
  if (!found) {
    if (!opts.createHome) return await fn()
    await mkdir(home, { recursive: true, mode: 0o750 })
    created = true
  }
  let held: HeldLock
  try {
    held = await acquireHomeLock(home, opts, logger)
  } catch (error) {
    if (created) await rmdir(home).catch(() => undefined)
    // A backup only reads the home; on a read-only filesystem no restore can change it meanwhile, so running
    // without the lock costs nothing that the lock protects.
    if (!opts.createHome && (error as NodeJS.ErrnoException).code === 'EROFS') {
      logger.warning(
        `The home ${home} is on a read-only filesystem: the ${opts.purpose} runs without its lock file ` +
          `(${HOME_LOCK_NAME}); no restore can change the home meanwhile.`
      )
      return await fn()
    }
    throw error
  }
  try {
    return await fn()
  } finally {
    await held.release()
    // A restore into a new home that failed before creating anything leaves no empty folder behind.
    if (created) await rmdir(home).catch(() => undefined)
  }
}

export interface HeldLock {
  file: string
  release(): Promise<void>
}

const ATTEMPTS = 3
const PARTIAL_READ_RETRY_MS = 100

export async function acquireHomeLock(home: string, opts: HomeLockOptions, logger: Logger): Promise<HeldLock> {
  const file = path.join(home, HOME_LOCK_NAME)
  const owner = currentOwner()
  const record: LockRecord = {
    tool: 'xlr-backup',
    purpose: opts.purpose,
    host: os.hostname(),
    pid: process.pid,
    owner: ownerTag(owner),
    runId: runIdOf(opts.env ?? process.env),
    startedAt: new Date().toISOString()
  }
  const content = `${JSON.stringify(record)}\n`
  const temp = `${file}.${ownerTag(owner)}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, content, { flag: 'wx', mode: 0o644 })
  try {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (await linkOrCreate(temp, file, content)) return hold(file, content)
      const holder = await readHolder(file)
      if (holder === 'gone') continue
      const dead = holder.record ? deadOwner(holder.record) : null
      if (!dead) throw lockedError(file, holder, opts.purpose)
      if (await breakStaleLock(file, holder.text, temp)) {
        logger.warning(
          `Removed a stale lock on the home: ${file} was left by ${describe(holder.record!)}, a process that no longer ` +
            'runs on this host (it was killed or crashed). Check that its work was not left half done.'
        )
      }
    }
    throw new HomeLockedError(
      `Could not take the lock ${file}: other runs keep taking and leaving it. Run one backup or restore at a time.`
    )
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

/** Links `temp` to `file`; where hard links are not supported, creates `file` exclusively instead. */
async function linkOrCreate(temp: string, file: string, content: string): Promise<boolean> {
  try {
    await link(temp, file)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error
  }
  try {
    await writeFile(file, content, { flag: 'wx', mode: 0o644 })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

interface Holder {
  text: string
  record: LockRecord | null
}

/** The lock's current content; 'gone' when it vanished meanwhile (its holder just released it). */
async function readHolder(file: string): Promise<Holder | 'gone'> {
  for (let tries = 0; ; tries++) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null
      throw error
    })
    if (text === null) return 'gone'
    const record = parseRecord(text)
    // Without hard links the file is created empty and then written: give the writer a moment.
    if (record || tries > 0) return { text, record }
    await new Promise(resolve => setTimeout(resolve, PARTIAL_READ_RETRY_MS))
  }
}

function parseRecord(text: string): LockRecord | null {
  try {
    const value = JSON.parse(text) as Partial<LockRecord>
    if (
      value.tool === 'xlr-backup' &&
      typeof value.owner === 'string' &&
      typeof value.host === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.runId === 'string' &&
      typeof value.startedAt === 'string' &&
      typeof value.purpose === 'string'
    ) {
      return value as LockRecord
    }
  } catch {
    // not ours, or half written
  }
  return null
}

/** The holder's owner when it provably no longer runs (same host; pid free or reused by a later process). */
function deadOwner(record: LockRecord): Owner | null {
  const owner = parseOwnerTag(record.owner)
  return owner && ownerIsGone(owner) ? owner : null
}

/**
 * Moves the stale lock aside and removes it. Two runs may judge the same stale lock at once: the rename lets only
 * one of them have it, and the content check makes sure what was moved is the stale lock and not a live one that
 * the other run has just created in its place (that one is put back).
 */
async function breakStaleLock(file: string, staleText: string, temp: string): Promise<boolean> {
  const aside = `${temp}.stale`
  try {
    await rename(file, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  const moved = await readFile(aside, 'utf8')
  if (moved !== staleText) {
    await link(aside, file).catch(() => undefined)
    await unlink(aside)
    return false
  }
  await unlink(aside)
  return true
}

function lockedError(file: string, holder: Holder, purpose: string): HomeLockedError {
  if (!holder.record) {
    return new HomeLockedError(
      `The home is locked by ${file}, which this tool cannot read. If no backup or restore of this home is running, ` +
        `delete that file and run the ${purpose} again.`
    )
  }
  const sameHost = holder.record.host === os.hostname()
  return new HomeLockedError(
    `Another run is working on this home: ${describe(holder.record)}. The ${purpose} was not started; nothing was ` +
      `changed. Run it again when that one has finished.` +
      (sameHost
        ? ''
        : ` The holder runs on another host, so this run cannot tell whether it is still alive: if it is not, delete ${file}.`)
  )
}

function describe(record: LockRecord): string {
  return `a ${record.purpose} by pid ${record.pid} on ${record.host} (run ${record.runId}, started ${record.startedAt})`
}

/** The workflow run (repository, id, attempt) in the action; the CLI has none. */
function runIdOf(env: NodeJS.ProcessEnv): string {
  if (!env.GITHUB_RUN_ID) return 'cli'
  const attempt = env.GITHUB_RUN_ATTEMPT ? `, attempt ${env.GITHUB_RUN_ATTEMPT}` : ''
  return `${env.GITHUB_REPOSITORY ? `${env.GITHUB_REPOSITORY} ` : ''}#${env.GITHUB_RUN_ID}${attempt}`
}

/** The held lock, removed by `release` or, when the process exits first (a signal's fallback), by the exit handler. */
function hold(file: string, content: string): HeldLock {
  const onExit = (): void => {
    try {
      if (readFileSync(file, 'utf8') === content) unlinkSync(file)
    } catch {
      // already gone
    }
  }
  process.on('exit', onExit)
  return {
    file,
    release: async () => {
      process.off('exit', onExit)
      const now = await readFile(file, 'utf8').catch(() => null)
      // Only our own lock: a stale-breaking run may have replaced it if this process looked dead.
      if (now === content) await unlink(file).catch(() => undefined)
    }
  }
}
