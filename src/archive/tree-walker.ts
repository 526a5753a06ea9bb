import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { XlrBackupError } from '../shared/errors.js'
import { ExcludeMatcher } from './exclude.js'

export interface TreeEntry {
  /** Path relative to the walked root with '/' separators; '' for the root itself. */
  rel: string
  abs: string
  kind: 'file' | 'directory' | 'symlink'
  /** Permission bits (mode & 0o7777). */
  mode: number
  mtimeMs: number
  /** Bytes for files as lstat saw them (the reader records what it really read). */
  size: number
  /** Owner as lstat saw it: a restore as root gives it back. */
  uid: number
  gid: number
}

export interface WalkOptions {
  exclude?: ExcludeMatcher
  /** Told about entries that cannot be archived (sockets, FIFOs, devices) or vanished while walking. */
  onSkip?: (rel: string, reason: string) => void
  /**
   * What another tree recorded for the same path (a snapshot's source): its mode and mtime stand in for the walked
   * copy's own, so a tree copied without setting them is recorded exactly as its source was.
   */
  recordedAs?: (rel: string) => Pick<TreeEntry, 'mode' | 'mtimeMs' | 'uid' | 'gid'> | undefined
}

/**
 * Walks a folder depth first in a stable order (names sorted by UTF-16 code unit), yielding each folder before its
 * contents. Symbolic links are reported as links and never followed; only the root itself may be a link (homes are
 * often `/opt/xl-release -> xl-release-24.1.3-server`). Metadata comes from lstatSync: for inodes in the page cache a
 * synchronous lstat costs ~2 µs against ~20 µs of thread-pool round trip, which matters at 20 000 files.
 * The folders being walked are a stack of frames, not nested generators: every level of `yield*` between an entry and
 * the consumer costs promise round trips for each entry, and a home's files sit six or more folders deep.
 */
export async function* walkTree(root: string, options: WalkOptions = {}): AsyncGenerator<TreeEntry> {
  const exclude = options.exclude ?? ExcludeMatcher.none()
  let st: fs.Stats
  try {
    st = await fsp.stat(root)
  } catch (error) {
    throw new XlrBackupError(`Cannot read the folder ${root}: ${describe(error)}.`, { cause: error })
  }
  if (!st.isDirectory()) throw new XlrBackupError(`${root} is not a folder; expected the folder to archive.`)
  const recordedAs = options.recordedAs ?? (() => undefined)
  yield {
    rel: '',
    abs: root,
    kind: 'directory',
    mode: st.mode & 0o7777,
    mtimeMs: st.mtimeMs,
    size: 0,
    uid: st.uid,
    gid: st.gid,
    ...recordedAs('')
  }
  const stack: Frame[] = [openFrame(root, '')]
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]
    if (frame.next === frame.names.length) {
      stack.pop()
      continue
    }
    const { name, isDir } = frame.names[frame.next++]
    const childRel = frame.rel === '' ? name : `${frame.rel}/${name}`
    if (exclude.excludes(childRel, isDir)) continue
    const childAbs = path.join(frame.abs, name)
    let st: fs.Stats | undefined
    try {
      st = fs.lstatSync(childAbs, { throwIfNoEntry: false })
    } catch (error) {
      throw new XlrBackupError(`Cannot read ${childAbs}: ${describe(error)}.`, { cause: error })
    }
    if (!st) {
      options.onSkip?.(childRel, 'it vanished while the backup ran')
      continue
    }
    const base = {
      rel: childRel,
      abs: childAbs,
      mode: st.mode & 0o7777,
      mtimeMs: st.mtimeMs,
      uid: st.uid,
      gid: st.gid,
      ...recordedAs(childRel)
    }
    if (st.isDirectory()) {
      // A folder excluded by a folder-only pattern is caught here too when readdir could not tell its type.
      if (!isDir && exclude.excludes(childRel, true)) continue
      yield { ...base, kind: 'directory', size: 0 }
      // Listed only once the consumer asks for what follows the folder, as a nested walk would.
      stack.push(openFrame(childAbs, childRel))
    } else if (st.isSymbolicLink()) {
      yield { ...base, kind: 'symlink', size: st.size }
    } else if (st.isFile()) {
      yield { ...base, kind: 'file', size: st.size }
    } else {
      options.onSkip?.(childRel, 'it is a socket, FIFO or device, which a ZIP cannot hold')
    }
  }
}

/** A folder being walked: its sorted entries and the next one to look at. */
interface Frame {
  abs: string
  rel: string
  names: { name: string; isDir: boolean }[]
  next: number
}

function openFrame(abs: string, rel: string): Frame {
  // Synchronous: ~80 µs a folder against ~350 µs through the thread pool (measured, 835 folders), and the walk
  // otherwise starves the writer's main thread.
  let dirents: fs.Dirent[]
  try {
    dirents = fs.readdirSync(abs, { withFileTypes: true })
  } catch (error) {
    throw new XlrBackupError(
      `Cannot list the folder ${abs}: ${describe(error)}. Run the backup as the user that owns the home, or exclude this folder.`,
      { cause: error }
    )
  }
  if (dirents.some(d => d.name.includes('\uFFFD'))) checkUtf8Names(abs)
  const names = dirents.map(d => ({ name: d.name, isDir: d.isDirectory() }))
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { abs, rel, names, next: 0 }
}

/** Names that are not UTF-8 were decoded with U+FFFD: look at the raw bytes to tell them from a genuine U+FFFD. */
function checkUtf8Names(abs: string): void {
  for (const raw of fs.readdirSync(abs, { encoding: 'buffer' })) {
    const name = raw.toString('utf8')
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      throw new XlrBackupError(
        `The name of an entry in ${abs} is not valid UTF-8 (${JSON.stringify(name)}); ZIP names are UTF-8, so it cannot be stored faithfully. Rename it, or exclude it.`
      )
    }
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  return e.code ? `${e.code} (${e.message})` : String(error)
}
