import { mkdirSync, readlinkSync, symlinkSync } from 'node:fs'
import * as path from 'node:path'
import type { ExcludeMatcher } from '../archive/exclude.js'
import { walkTree, type ExactStat, type TreeEntry } from '../archive/tree-walker.js'
import { cancellation } from '../lifecycle/cancel.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'
import { CopyQueue, isFullDisk, snapshotFailure } from './copy-queue.js'

/** What the pre-copy made of one entry of the home, with the source's lstat taken before it was copied. */
export interface CopiedEntry {
  kind: TreeEntry['kind']
  stat: ExactStat
  /** A link's text, as copied. */
  link?: string
  /** Its mtime or ctime fell inside the racy window: copied again during the stop, whatever its stat says then. */
  racy: boolean
  /** Its copy failed under the running server (it vanished, or changed kind): made again during the stop. */
  failed: boolean
}

/** The home as copied while the server ran: the staging copy's entries, by path relative to the home. */
export interface PreCopy {
  entries: Map<string, CopiedEntry>
  files: number
  bytes: number
  racy: number
  /** Why the walk ended before the end of the home (a folder removed under it): the rest is copied during the stop. */
  incomplete: string | null
}

/**
 * Copies `source` into `target` (which must not exist) while the server still runs, as the archive's walker sees it:
 * the same exclusions, links copied as links, files cloned (FICLONE) where the filesystem shares blocks, else copied
 * in parallel; folders are made owner-only. Each entry is recorded before it is made, so the staging copy never holds
 * what the record does not know. What a running server removes or replaces under the copy is recorded as failed and
 * left to the stop; a full disk, or any failure of the staging side, throws.
 */
export async function copyTree(
  source: string,
  target: string,
  exclude: ExcludeMatcher,
  racyWindowNs: bigint
): Promise<PreCopy> {
  const entries = new Map<string, CopiedEntry>()
  const queue = new CopyQueue()
  let files = 0
  let bytes = 0
  let racy = 0
  let incomplete: string | null = null
  const walk = walkTree(source, { exclude, exactStats: true })
  try {
    for (;;) {
      // A cancelled job stops copying at once: the folder is removed once the copies in flight have ended.
      if (queue.failed || cancellation.reason !== null) break
      // The clock is read before the lstat: an earlier reading widens the racy window, never narrows it.
      const racySince = BigInt(Date.now()) * 1_000_000n - racyWindowNs
      let next: IteratorResult<TreeEntry>
      try {
        next = await walk.next()
      } catch (error) {
        incomplete = error instanceof Error ? error.message : String(error)
        break
      }
      if (next.done) break
      const entry = next.value
      const stat = entry.exact!
      const to = entry.rel === '' ? target : path.join(target, entry.rel)
      if (entry.kind === 'directory') {
        entries.set(entry.rel, { kind: 'directory', stat, racy: false, failed: false })
        mkdirSync(to, { mode: PRIVATE_DIR_MODE })
      } else if (entry.kind === 'symlink') {
        const link = readLink(entry.abs)
        if (link === null) continue
        entries.set(entry.rel, { kind: 'symlink', stat, link, racy: false, failed: false })
        symlinkSync(link, to)
      } else {
        const copied: CopiedEntry = {
          kind: 'file',
          stat,
          racy: stat.mtimeNs > racySince || stat.ctimeNs > racySince,
          failed: false
        }
        entries.set(entry.rel, copied)
        files++
        bytes += entry.size
        if (copied.racy) racy++
        await queue.add(entry.abs, to, error => {
          if (isFullDisk(error)) return false
          copied.failed = true
          return true
        })
      }
    }
  } catch (error) {
    queue.fail(error)
  } finally {
    await walk.return(undefined)
  }
  try {
    await queue.drain()
  } catch (error) {
    throw snapshotFailure(source, error)
  }
  cancellation.throwIfCancelled()
  return { entries, files, bytes, racy, incomplete }
}

/** A link's text; null when it vanished or changed kind since the walk saw it (the stop then copies what is there). */
function readLink(abs: string): string | null {
  try {
    return readlinkSync(abs)
  } catch {
    return null
  }
}
