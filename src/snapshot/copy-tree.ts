import { constants, mkdirSync, readlinkSync, symlinkSync } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import * as path from 'node:path'
import type { ExcludeMatcher } from '../archive/exclude.js'
import { walkTree, type TreeEntry } from '../archive/tree-walker.js'
import { XlrBackupError } from '../shared/errors.js'
import { cancellation } from '../lifecycle/cancel.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'

/** Mode and mtime of each copied path as the archive's walker saw them in the source. */
export type RecordedMetadata = Map<string, Pick<TreeEntry, 'mode' | 'mtimeMs' | 'uid' | 'gid'>>

export interface CopiedTree {
  recorded: RecordedMetadata
  files: number
  bytes: number
}

/**
 * Files copied at once: each copy holds a libuv thread while it runs, and many small files are bound by the latency
 * of open/copy/close rather than by the disk, so several in flight keep the disk busy.
 */
const COPIES_IN_FLIGHT = 16

/**
 * Copies `source` into `target` (which must not exist) as the archive's walker sees it: the same exclusions, links
 * copied as links, files cloned (FICLONE) where the filesystem shares blocks, else copied in parallel. Folders are
 * made owner-only and the copies keep their mtime of now: the source's mode and mtime are returned instead, for the
 * archive to record (exactly, without a float round trip through utimes).
 */
export async function copyTree(source: string, target: string, exclude: ExcludeMatcher): Promise<CopiedTree> {
  const recorded: RecordedMetadata = new Map()
  const inFlight = new Set<Promise<void>>()
  let failure: unknown = null
  let files = 0
  let bytes = 0
  const copy = (from: string, to: string): void => {
    const job = copyFile(from, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL).then(
      () => undefined,
      (error: unknown) => {
        failure ??= error
      }
    )
    const tracked = job.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
  }
  try {
    for await (const entry of walkTree(source, { exclude })) {
      // A cancelled job stops copying at once: the folder is removed once the copies in flight have ended.
      if (failure || cancellation.reason !== null) break
      recorded.set(entry.rel, { mode: entry.mode, mtimeMs: entry.mtimeMs, uid: entry.uid, gid: entry.gid })
      const to = entry.rel === '' ? target : path.join(target, entry.rel)
      if (entry.kind === 'directory') mkdirSync(to, { mode: PRIVATE_DIR_MODE })
      else if (entry.kind === 'symlink') symlinkSync(readlinkSync(entry.abs), to)
      else {
        files++
        bytes += entry.size
        copy(entry.abs, to)
        if (inFlight.size >= COPIES_IN_FLIGHT) await Promise.race(inFlight)
      }
    }
  } catch (error) {
    failure ??= error
  }
  await Promise.all(inFlight)
  if (failure) throw copyFailure(source, failure)
  cancellation.throwIfCancelled()
  return { recorded, files, bytes }
}

function copyFailure(source: string, error: unknown): XlrBackupError {
  const e = error as NodeJS.ErrnoException
  const why = e.code === 'ENOSPC' ? 'the filesystem is full' : e.code ? `${e.code} (${e.message})` : String(error)
  return new XlrBackupError(`Copying the home ${source} into its snapshot failed: ${why}.`, { cause: error })
}
