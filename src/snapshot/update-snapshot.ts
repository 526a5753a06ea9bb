import { mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import * as path from 'node:path'
import type { ExcludeMatcher } from '../archive/exclude.js'
import { walkTree, type ExactStat, type TreeEntry } from '../archive/tree-walker.js'
import { cancellation } from '../lifecycle/cancel.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'
import { CopyQueue, snapshotFailure } from './copy-queue.js'
import type { CopiedEntry, PreCopy } from './copy-tree.js'

/** Mode and mtime of each path of the snapshot as the archive's walker saw them in the source. */
export type RecordedMetadata = Map<string, Pick<TreeEntry, 'mode' | 'mtimeMs' | 'uid' | 'gid'>>

/** The snapshot brought to the moment of the stop, and what that took. */
export interface UpdatedSnapshot {
  recorded: RecordedMetadata
  /** Files in the snapshot, and their bytes. */
  files: number
  bytes: number
  /** Entries of the home compared with the pre-copy. */
  checked: number
  /** Files copied during the stop: new, changed, or racy. */
  copied: number
  /** Of those, the files whose stat had not changed, copied again because they were racy at their pre-copy. */
  racy: number
  /** Folders and links made during the stop: new, or changed. */
  remade: number
  /** Entries of the pre-copy no longer in the home, removed from the snapshot. */
  removed: number
}

/**
 * Brings the pre-copy in `target` to the home as it is now (while the server is proven down), walking it with the
 * same walker and exclusions: new entries are made, vanished ones removed, an entry that changed kind is replaced, a
 * link whose text changed is made again, and a file is copied again unless its lstat equals the one taken before its
 * pre-copy (device, inode, size, mode, mtime and ctime to the nanosecond) and it was not racy then. The recorded
 * metadata is this walk's.
 */
export async function updateSnapshot(
  source: string,
  target: string,
  exclude: ExcludeMatcher,
  pre: PreCopy
): Promise<UpdatedSnapshot> {
  const recorded: RecordedMetadata = new Map()
  const queue = new CopyQueue()
  const seen = new Set<string>()
  // Paths whose whole subtree in the snapshot is gone (removed, or replaced by another kind): what the pre-copy had
  // below them needs no removal, and a removal must never go through a link made in their place.
  const cleared = new Set<string>()
  const made = { checked: 0, files: 0, bytes: 0, copied: 0, racy: 0, remade: 0, removed: 0 }
  const clear = (rel: string, to: string, before: CopiedEntry | undefined): void => {
    if (!before) return
    rmSync(to, { recursive: before.kind === 'directory', force: true })
    cleared.add(rel)
  }
  try {
    for await (const entry of walkTree(source, { exclude, exactStats: true })) {
      if (queue.failed || cancellation.reason !== null) break
      const { rel } = entry
      seen.add(rel)
      recorded.set(rel, { mode: entry.mode, mtimeMs: entry.mtimeMs, uid: entry.uid, gid: entry.gid })
      made.checked++
      const before = pre.entries.get(rel)
      const to = rel === '' ? target : path.join(target, rel)
      if (entry.kind === 'directory') {
        if (before?.kind === 'directory') continue
        clear(rel, to, before)
        mkdirSync(to, { mode: PRIVATE_DIR_MODE })
        made.remade++
      } else if (entry.kind === 'symlink') {
        const link = readlinkSync(entry.abs)
        if (before?.kind === 'symlink' && before.link === link) continue
        clear(rel, to, before)
        symlinkSync(link, to)
        made.remade++
      } else {
        made.files++
        made.bytes += entry.size
        const unchanged = before?.kind === 'file' && !before.failed && sameFile(before.stat, entry.exact!)
        if (unchanged && !before.racy) continue
        if (unchanged) made.racy++
        clear(rel, to, before)
        made.copied++
        await queue.add(entry.abs, to)
      }
    }
    const walkedToTheEnd = !queue.failed && cancellation.reason === null
    for (const [rel, before] of walkedToTheEnd ? pre.entries : []) {
      if (seen.has(rel) || clearedAbove(cleared, rel)) continue
      clear(rel, path.join(target, rel), before)
      made.removed++
    }
  } catch (error) {
    queue.fail(error)
  }
  try {
    await queue.drain()
  } catch (error) {
    throw snapshotFailure(source, error)
  }
  cancellation.throwIfCancelled()
  const { checked, files, bytes, copied, racy, remade, removed } = made
  return { recorded, files, bytes, checked, copied, racy, remade, removed }
}

/** Whether the file is the one the pre-copy copied, unchanged: a write, a chmod, a chown or a rename all show here. */
function sameFile(a: ExactStat, b: ExactStat): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mode === b.mode &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  )
}

function clearedAbove(cleared: Set<string>, rel: string): boolean {
  for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
    if (cleared.has(rel.slice(0, i))) return true
  }
  return false
}
