import { lstat, mkdir, readdir, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { SNAPSHOT_DIR_PREFIX } from '../format/snapshot-dir.js'
import { ownerIsGone, ownerTag, parseOwnerTag } from '../lifecycle/owner-tag.js'
import type { Logger } from '../shared/logger.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'

/**
 * The staging folder of this run's home snapshot: inside the home, so it is on the home's filesystem (a reflink or
 * a rename cannot cross filesystems) and writable by whoever may write the home, which a sibling in the home's
 * parent (often `/opt`) is not. Its name carries the run's owner tag, so a later run can tell a killed run's leftover
 * from a live run's folder without trusting anything inside it.
 */
export function stagingFolder(home: string): string {
  return path.join(home, `${SNAPSHOT_DIR_PREFIX}${ownerTag()}`)
}

/** Creates the staging folder owner-only; throws when it exists (never reuse what another run may be filling). */
export async function createStagingFolder(dir: string): Promise<void> {
  await mkdir(dir, { mode: PRIVATE_DIR_MODE })
}

export async function removeStagingFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}

/**
 * Removes the snapshots of runs that were killed: only real folders (not links) named by the snapshot prefix and an
 * owner tag whose process provably ended on this host. Returns what it removed.
 */
export async function removeStaleSnapshots(home: string, logger: Logger): Promise<string[]> {
  const names = await readdir(home).catch(() => [] as string[])
  const removed: string[] = []
  for (const name of names) {
    if (!name.startsWith(SNAPSHOT_DIR_PREFIX)) continue
    const owner = parseOwnerTag(name.slice(SNAPSHOT_DIR_PREFIX.length))
    if (!owner || !ownerIsGone(owner)) continue
    const dir = path.join(home, name)
    const st = await lstat(dir).catch(() => null)
    if (!st?.isDirectory()) continue
    await removeStagingFolder(dir)
    logger.info(`Removed ${dir}: the home snapshot of a backup that was killed (process ${owner.pid}).`)
    removed.push(dir)
  }
  return removed
}
