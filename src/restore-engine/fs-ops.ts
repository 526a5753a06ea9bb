import { lstat, open, readdir, realpath, rename, rmdir, statfs as nodeStatfs } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import * as path from 'node:path'
import type { StatfsResult } from './types.js'

/** lstat that answers null for a missing path instead of throwing. */
export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export async function exists(p: string): Promise<boolean> {
  return (await lstatOrNull(p)) !== null
}

/** The closest existing ancestor of `p` (itself when it exists): where a folder we will create would live. */
export async function nearestExisting(p: string): Promise<string> {
  let cur = path.resolve(p)
  while (!(await exists(cur))) {
    const parent = path.dirname(cur)
    if (parent === cur) break
    cur = parent
  }
  return cur
}

/**
 * The real path `p` has or would have once created: its nearest existing ancestor with symlinks resolved, plus the
 * part still to be created. Paths stored in a journal are in this form, so a later run can compare them exactly.
 */
export async function realPathOf(p: string): Promise<string> {
  const anchor = await nearestExisting(p)
  return path.join(await realpath(anchor), path.relative(anchor, path.resolve(p)))
}

/** Bytes and files below `p` without following links; block-rounded so it estimates what a copy occupies. */
export async function treeSize(p: string): Promise<{ bytes: number; files: number; blocks: number }> {
  const st = await lstatOrNull(p)
  if (!st) return { bytes: 0, files: 0, blocks: 0 }
  if (!st.isDirectory()) return { bytes: st.size, files: 1, blocks: roundToBlock(st.size) }
  let bytes = 0
  let files = 0
  let blocks = BLOCK
  // An explicit stack keeps deep trees off the call stack and memory flat (one directory listing at a time).
  const stack = [p]
  while (stack.length > 0) {
    const dir = stack.pop() as string
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        stack.push(full)
        blocks += BLOCK
      } else {
        const s = await lstat(full)
        bytes += s.size
        files++
        blocks += roundToBlock(s.size)
      }
    }
  }
  return { bytes, files, blocks }
}

const BLOCK = 4096
export function roundToBlock(n: number): number {
  return Math.max(BLOCK, Math.ceil(n / BLOCK) * BLOCK)
}

/** fsync a folder so the renames and creations inside it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Atomic rename (same filesystem) made durable in both folders. */
export async function durableRename(from: string, to: string): Promise<void> {
  await rename(from, to)
  await fsyncDir(path.dirname(to))
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from))
}

export async function defaultStatfs(p: string): Promise<StatfsResult> {
  const s = await nodeStatfs(p)
  return { bavail: s.bavail, bsize: s.bsize, files: s.files, ffree: s.ffree }
}

/** Removes `dir` only when it is an empty folder; answers whether it did. */
export async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir)
    return true
  } catch {
    return false
  }
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
}
