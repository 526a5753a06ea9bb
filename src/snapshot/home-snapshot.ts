import { constants } from 'node:fs'
import { copyFile, rm, statfs, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { countTreeSpace } from '../archive/count-tree.js'
import type { ExcludeMatcher } from '../archive/exclude.js'
import type { Logger } from '../shared/logger.js'
import { formatBytes, formatDuration } from '../shared/progress.js'
import { cancellation } from '../lifecycle/cancel.js'
import { copyTree, type PreCopy } from './copy-tree.js'
import { isFullDisk } from './copy-queue.js'
import { racyWindowNs } from './racy-window.js'
import { updateSnapshot, type UpdatedSnapshot } from './update-snapshot.js'
import { createStagingFolder, removeStagingFolder, removeStaleSnapshots, stagingFolder } from './staging.js'

/** Space kept free beyond the copy itself: the server writes its logs and caches there once it is back. */
const FREE_MARGIN_BYTES = 64 * 1024 * 1024
/** Inodes kept free for the same reason, on filesystems with a fixed number of them (ext4, tmpfs). */
const FREE_MARGIN_INODES = 4096
/**
 * Beyond the blocks counted (each file's, each folder's): inodes where the filesystem takes them from free space
 * (XFS, btrfs), extent maps, a folder's blocks once its names outgrow one. A 1-byte file takes a whole block, so
 * counting bytes alone missed gigabytes on a home of many small files, filling the disk the running server uses.
 */
const OVERHEAD = 1.05

/**
 * A staging folder made, sized and filled with a copy of the home before the server stops; `take` brings that copy to
 * the moment of the stop while the server is down.
 */
export interface PlannedSnapshot {
  staging: string
  /** Whether the filesystem clones files (FICLONE) instead of copying their bytes. */
  reflink: boolean
  take(): Promise<HomeSnapshot>
  remove(): Promise<void>
}

/** The home as it was at the moment of `take`, to archive as if it were the home; `seconds` is what `take` took. */
export interface HomeSnapshot extends UpdatedSnapshot {
  root: string
  seconds: number
}

/**
 * Prepares a snapshot of `home` before the server stops: clears killed runs' snapshots, creates this run's staging
 * folder, learns whether the filesystem clones files, checks the free space, and copies the home into the folder
 * while the server still runs. Returns the reason instead when a snapshot cannot be taken here (a full disk during
 * that copy included: the caller then keeps the server down for the whole backup); leaves nothing behind in that case,
 * nor when the job is cancelled.
 */
export async function planHomeSnapshot(
  home: string,
  exclude: ExcludeMatcher,
  logger: Logger
): Promise<PlannedSnapshot | { unavailable: string }> {
  await removeStaleSnapshots(home, logger)
  const staging = stagingFolder(home)
  try {
    await createStagingFolder(staging)
  } catch (error) {
    return { unavailable: `its staging folder ${staging} cannot be created (${describe(error)})` }
  }
  try {
    const reflink = await clonesFiles(staging)
    const fs = await statfs(staging)
    const { bytes, fileBlocks, metadata, entries } = await countTreeSpace(home, exclude, fs.bsize)
    const free = fs.bavail * fs.bsize
    // A clone shares the files' blocks; its folders and inodes are new all the same.
    const need = Math.ceil(((reflink ? 0 : fileBlocks) + metadata) * OVERHEAD) + FREE_MARGIN_BYTES
    if (free < need) {
      await removeStagingFolder(staging)
      return {
        unavailable:
          `the home's filesystem has ${formatBytes(free)} free and a ${reflink ? 'cloned' : 'copied'} snapshot of ` +
          `the home (${formatBytes(bytes)}) needs about ${formatBytes(need)}: free ${formatBytes(need - free)} more`
      }
    }
    // Filesystems that make inodes as they go (XFS, btrfs) report none or plenty; ext4's are fixed when it is made.
    const inodesNeeded = entries + FREE_MARGIN_INODES
    if (fs.files > 0 && fs.ffree < inodesNeeded) {
      await removeStagingFolder(staging)
      return {
        unavailable:
          `the home's filesystem has ${fs.ffree} free inodes and a snapshot of the home needs ${entries} (one per ` +
          `file, folder and link) and ${FREE_MARGIN_INODES} more left for the server: free ` +
          `${inodesNeeded - fs.ffree} inodes (delete files) or use a filesystem with more`
      }
    }
    const root = path.join(staging, 'home')
    const window = racyWindowNs()
    const started = Date.now()
    let pre: PreCopy
    try {
      pre = await copyTree(home, root, exclude, window)
    } catch (error) {
      if (cancellation.reason !== null) throw error
      await removeStagingFolder(staging)
      if (!isFullDisk((error as Error).cause))
        return { unavailable: `its copy before the stop failed: ${describe(error)}` }
      const left = await statfs(home).then(s => s.bavail * s.bsize)
      return {
        unavailable:
          `the home's filesystem filled up while the home (${formatBytes(bytes)}) was copied before the stop ` +
          `(${formatBytes(left)} free without that copy): free more space`
      }
    }
    logger.info(describePreCopy(pre, staging, reflink, (Date.now() - started) / 1000, window))
    return {
      staging,
      reflink,
      take: () => takeSnapshot(home, root, exclude, pre),
      remove: () => removeStagingFolder(staging)
    }
  } catch (error) {
    await removeStagingFolder(staging)
    throw error
  }
}

async function takeSnapshot(home: string, root: string, exclude: ExcludeMatcher, pre: PreCopy): Promise<HomeSnapshot> {
  const started = Date.now()
  const updated = await updateSnapshot(home, root, exclude, pre)
  return { root, ...updated, seconds: (Date.now() - started) / 1000 }
}

function describePreCopy(pre: PreCopy, staging: string, reflink: boolean, seconds: number, window: bigint): string {
  const windowSeconds = Math.round(Number(window / 1_000_000n) / 1000)
  return (
    `Copied the home into ${staging} while the server runs: ${pre.files} files, ${formatBytes(pre.bytes)}, ` +
    `${reflink ? 'cloned (reflinks)' : 'copied'} in ${formatDuration(seconds)}. ` +
    (pre.incomplete
      ? `The copy stopped early (${pre.incomplete}); the rest is copied while the server is down. `
      : '') +
    `While the server is down, only what changed since is copied, and the ${pre.racy} files changed within ` +
    `${windowSeconds} s before their copy (too recently for their timestamps to prove them unchanged) are copied again.`
  )
}

/** Clones a probe file with FICLONE_FORCE: the only portable way to learn whether this filesystem shares blocks. */
async function clonesFiles(staging: string): Promise<boolean> {
  const probe = path.join(staging, 'reflink-probe')
  try {
    await writeFile(probe, 'probe', { mode: 0o600 })
    await copyFile(probe, `${probe}.clone`, constants.COPYFILE_FICLONE_FORCE)
    return true
  } catch {
    return false
  } finally {
    await rm(probe, { force: true })
    await rm(`${probe}.clone`, { force: true })
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  return e.code ? `${e.code}: ${e.message}` : String(error)
}
