import { lstat, readdir, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Logger } from '../shared/logger.js'
import { makePrivateTempDir, setRunFolder, writePrivateFile } from '../shared/private-files.js'
import { currentOwner, ownerIsGone, ownerTag, parseOwnerTag } from './owner-tag.js'

/**
 * Every secret a run writes (password files, plaintext dumps, decrypted copies, the staged backup) lives in one
 * owner-only folder `xlr-backup-run-<owner>-XXXXXX` under the runner's temp folder, removed however the run ends;
 * a run killed before it could remove it leaves a folder the next run recognises by its name and removes.
 */
export const RUN_FOLDER_PREFIX = 'xlr-backup-run-'
const OWNER_FILE = 'owner.txt'
const FOLDER_NAME = /^xlr-backup-run-(\d+\.\d+\.[0-9a-f]{8})-[A-Za-z0-9]{6}$/

/** Creates the run folder under `root` and makes it the parent of every private temporary folder. */
export async function createRunFolder(root: string): Promise<string> {
  const dir = await makePrivateTempDir(`${RUN_FOLDER_PREFIX}${ownerTag()}-`, root)
  // For a person looking at the folder; the name alone decides whether a later run may remove it.
  const owner = currentOwner()
  await writePrivateFile(
    path.join(dir, OWNER_FILE),
    `xlr-backup run: pid ${owner.pid} on ${os.hostname()}, started ${new Date().toISOString()}\n`
  )
  setRunFolder(dir)
  return dir
}

export async function removeRunFolder(dir: string): Promise<void> {
  setRunFolder(null)
  await rm(dir, { recursive: true, force: true })
}

/** Runs `fn` with a fresh run folder under `root`, after removing what dead runs left there. */
export async function withRunFolder<T>(root: string, logger: Logger, fn: () => Promise<T>): Promise<T> {
  await removeDeadRunFolders(root, logger)
  const dir = await createRunFolder(root)
  try {
    return await fn()
  } finally {
    await removeRunFolder(dir)
  }
}

/**
 * Removes run folders under `root` whose owner provably died (same host, pid gone or reused) and returns them.
 * A live run's folder, another host's, and anything not named like a run folder are left alone.
 */
export async function removeDeadRunFolders(root: string, logger: Logger): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(root)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const m = FOLDER_NAME.exec(name)
    const owner = m ? parseOwnerTag(m[1]) : null
    if (!owner || !ownerIsGone(owner)) continue
    const dir = path.join(root, name)
    const info = await lstat(dir).catch(() => null)
    if (!info?.isDirectory()) continue
    try {
      await rm(dir, { recursive: true, force: true })
      removed.push(dir)
      logger.info(
        `Removed ${dir}: the temporary files of an earlier run (pid ${owner.pid}) that ended without cleaning up.`
      )
    } catch (error) {
      logger.warning(`Could not remove ${dir}, left by an earlier run: ${(error as Error).message}. Remove it by hand.`)
    }
  }
  return removed
}
