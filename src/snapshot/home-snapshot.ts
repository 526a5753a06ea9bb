import { constants } from 'node:fs'
import { copyFile, rm, statfs, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { countTreeBytes } from '../archive/count-tree.js'
import type { ExcludeMatcher } from '../archive/exclude.js'
import type { Logger } from '../shared/logger.js'
import { formatBytes } from '../shared/progress.js'
import { copyTree, type RecordedMetadata } from './copy-tree.js'
import { createStagingFolder, removeStagingFolder, removeStaleSnapshots, stagingFolder } from './staging.js'

/** Space kept free beyond the copy itself: the server writes its logs and caches there once it is back. */
const FREE_MARGIN_BYTES = 64 * 1024 * 1024
/** Per copied byte, what a filesystem spends beyond the bytes (partly filled last blocks, inodes, folders). */
const OVERHEAD = 1.05

/** A staging folder made and sized before the server stops; `take` fills it while the server is down. */
export interface PlannedSnapshot {
  staging: string
  /** Whether the filesystem clones files (FICLONE) instead of copying their bytes. */
  reflink: boolean
  take(): Promise<HomeSnapshot>
  remove(): Promise<void>
}

/** The home as it was at the moment of `take`, to archive as if it were the home. */
export interface HomeSnapshot {
  root: string
  recorded: RecordedMetadata
  files: number
  bytes: number
  seconds: number
}

/**
 * Prepares a snapshot of `home` before the server stops: clears killed runs' snapshots, creates this run's staging
 * folder, learns whether the filesystem clones files, and checks the free space. Returns the reason instead when a
 * snapshot cannot be taken here (the caller then keeps the server down for the whole backup); leaves nothing behind
 * in that case.
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
    const bytes = await countTreeBytes(home, exclude)
    const fs = await statfs(staging)
    const free = fs.bavail * fs.bsize
    const need = reflink ? FREE_MARGIN_BYTES : Math.ceil(bytes * OVERHEAD) + FREE_MARGIN_BYTES
    if (free < need) {
      await removeStagingFolder(staging)
      return {
        unavailable:
          `the home's filesystem has ${formatBytes(free)} free and a ${reflink ? 'cloned' : 'copied'} snapshot of ` +
          `the home (${formatBytes(bytes)}) needs about ${formatBytes(need)}: free ${formatBytes(need - free)} more`
      }
    }
    logger.info(
      `The home will be captured into ${staging} while the server is down: ` +
        (reflink
          ? 'its filesystem clones files (reflinks), so the copy shares their blocks.'
          : `its filesystem does not clone files, so ${formatBytes(bytes)} are copied (${formatBytes(free)} free).`)
    )
    return {
      staging,
      reflink,
      take: () => takeSnapshot(home, staging, exclude),
      remove: () => removeStagingFolder(staging)
    }
  } catch (error) {
    await removeStagingFolder(staging)
    throw error
  }
}

async function takeSnapshot(home: string, staging: string, exclude: ExcludeMatcher): Promise<HomeSnapshot> {
  const started = Date.now()
  const root = path.join(staging, 'home')
  const copied = await copyTree(home, root, exclude)
  return { root, ...copied, seconds: (Date.now() - started) / 1000 }
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
