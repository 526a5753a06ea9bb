import { constants } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import { XlrBackupError } from '../shared/errors.js'

/**
 * Files copied at once: each copy holds a libuv thread while it runs, and many small files are bound by the latency
 * of open/copy/close rather than by the disk, so several in flight keep the disk busy.
 */
const COPIES_IN_FLIGHT = 16

/**
 * Copies files in parallel into paths that must not exist: cloned (FICLONE) where the filesystem shares blocks, else
 * copied. The first failure a copy's own handler does not take is kept, and `drain` throws it.
 */
export class CopyQueue {
  private readonly inFlight = new Set<Promise<void>>()
  private failure: { error: unknown } | null = null

  get failed(): boolean {
    return this.failure !== null
  }

  /** Starts a copy, and waits while too many are in flight. `handled` may take a failure (true) instead. */
  async add(from: string, to: string, handled: (error: unknown) => boolean = () => false): Promise<void> {
    const job = copyFile(from, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL).then(
      () => undefined,
      (error: unknown) => {
        if (!handled(error)) this.failure ??= { error }
      }
    )
    const tracked = job.finally(() => this.inFlight.delete(tracked))
    this.inFlight.add(tracked)
    if (this.inFlight.size >= COPIES_IN_FLIGHT) await Promise.race(this.inFlight)
  }

  /** Keeps `error` as the failure unless one came first. */
  fail(error: unknown): void {
    this.failure ??= { error }
  }

  /** Waits for every copy in flight; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight)
    if (this.failure) throw this.failure.error
  }
}

/** The error of a snapshot that could not be made, naming a full disk as such. */
export function snapshotFailure(source: string, error: unknown): XlrBackupError {
  const e = error as NodeJS.ErrnoException
  const why = isFullDisk(error) ? 'the filesystem is full' : e.code ? `${e.code} (${e.message})` : String(error)
  return new XlrBackupError(`Copying the home ${source} into its snapshot failed: ${why}.`, { cause: error })
}

/** A failure of the copy's own side: the staging folder's filesystem (or the user's quota on it) is full. */
export function isFullDisk(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}
