import { chmodSync, constants as fsConstants, lutimesSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { lstat, mkdir, open, readdir, realpath, type FileHandle } from 'node:fs/promises'
import * as path from 'node:path'
import { IntegrityError, RestoreError } from '../shared/errors.js'
import type { Progress } from '../shared/progress.js'
import { isInside, linkEscapeReason, pathKey } from './entry-safety.js'
import { smallEntryScratch } from '../zip/entry-content.js'
import { FileCreateError, FileCreatorPool } from './file-creator-pool.js'
import { runInLanes } from './run-bounded.js'
import { defaultThreads } from './verify.js'
import type { ArchiveEntry, BackupArchive } from './backup-archive.js'

export interface ExtractOptions {
  /** Archive prefix to unpack, ending with '/': 'home/', 'home/conf/', 'database/repository/'. Stripped on disk. */
  prefix: string
  /** Folder to unpack into; must be empty or absent (it is created, owner-only). */
  dest: string
  /**
   * Archive folder that links must stay inside (default: `prefix`). A home component unpacked on its own passes
   * 'home/': it ends up inside the home, so `conf/logback-active.xml -> ../conf/logback.xml` or `bin/lib -> ../lib`
   * are the home's own links, not escapes.
   */
  linkRoot?: string
  progress?: Progress
  /** Entries unpacked at once (default: twice the CPUs, at least 4). */
  threads?: number
  /** Workers that create the files, shared by the calls of one restore (fileCreatorFor); default: this call's own. */
  creator?: FileCreatorPool
}

export interface ExtractReport {
  files: number
  directories: number
  symlinks: number
  /** Bytes of file content written. */
  bytes: number
  seconds: number
}

/** O_EXCL refuses anything already there (a planted file or link); O_NOFOLLOW says so again for the last component. */
const CREATE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW
/** Set-id bits are dropped: the restored files belong to whoever runs the restore, often root. */
const MODE_MASK = 0o1777
/** Folders stay writable for us until their contents are in; their own modes come last. */
const WORK_DIR_MODE = 0o700

/**
 * Unpacks the entries under `prefix` into `dest`, checking every byte against the manifest as it is written (size,
 * CRC-32, SHA-256): folders (empty ones too), files with their modes and times, symlinks. A damaged entry throws
 * IntegrityError and leaves `dest` partly filled — callers unpack into a staging folder, so nothing the user has is
 * touched. Nothing is ever written through a symlink: the archive was refused at open if any entry lies under a link
 * or a link leaves its root, links are re-checked against `prefix` here, every file is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, and links are only created once every file and folder is in place.
 */
export async function extractArchive(archive: BackupArchive, options: ExtractOptions): Promise<ExtractReport> {
  const started = Date.now()
  const { prefix } = options
  if (!prefix.endsWith('/')) throw new RestoreError(`internal: the extraction prefix '${prefix}' must end with '/'`)
  const table = archive.entries
  // Rows, not entries: an entry is made from its row when it is written, so the unpacking holds no object per file.
  const own = table.indexOf(prefix)
  const prefixRow = own < 0 ? undefined : own
  const selected = table.rowsUnder(prefix, true)
  if (selected.length === 0 && prefixRow === undefined) {
    throw new IntegrityError(`the backup ${archive.file} holds nothing under ${prefix}`)
  }
  const links = new Map<string, string>()
  for (let row = 0; row < table.length; row++) {
    if (table.type(row) === 'symlink') links.set(table.name(row), table.target(row) as string)
  }
  const symlinks = selected.filter(row => table.type(row) === 'symlink')
  for (const row of symlinks) {
    const name = table.name(row)
    const reason = linkEscapeReason(name, links, options.linkRoot ?? prefix)
    if (reason) {
      throw new IntegrityError(
        `the backup ${archive.file} is refused for ${prefix}: the symlink ${name} is unsafe: ${reason}`
      )
    }
  }

  const root = await prepareDestination(options.dest)
  const onDisk = (entry: ArchiveEntry): string => {
    const target = path.join(root, pathKey(entry.name.slice(prefix.length)))
    // Names were proven safe at open; this is the belt to those braces.
    if (!isInside(root, target) || target === root) throw new IntegrityError(`unsafe entry ${entry.name}`)
    return target
  }

  /** Each folder to create, with the row that gives its mode and time (null: only implied by what is inside). */
  const folders = new Map<string, number | null>()
  for (const row of selected) {
    const rel = pathKey(table.name(row).slice(prefix.length))
    if (table.type(row) === 'directory') folders.set(rel, row)
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
      if (!folders.has(rel.slice(0, i))) folders.set(rel.slice(0, i), null)
    }
  }
  // Folders, links and times are metadata calls of a few microseconds each: in line, in order, is fastest.
  const relFolders = [...folders.keys()].sort()
  for (const rel of relFolders) mkdirSync(path.join(root, rel), { mode: WORK_DIR_MODE })

  const files = selected
    .filter(row => table.type(row) === 'file')
    .sort((a, b) => table.localHeaderOffset(a) - table.localHeaderOffset(b))
  let bytes = 0
  const scratch = smallEntryScratch()
  const done = (entry: ArchiveEntry): void => {
    bytes += entry.size
    options.progress?.add(entry.size, 1)
  }
  const creator = options.creator ?? fileCreatorFor(options.threads)
  const lanes = runInLanes(
    files,
    row => table.isSmall(row),
    row => {
      const entry = table.at(row)
      // Read here, inflated and checked by the worker that creates the file: the cores share that work.
      const content = archive.readSmallDataSync(entry, scratch)
      const time = seconds(entry.mtime)
      const stored = {
        file: archive.file,
        name: entry.name,
        method: entry.method,
        size: entry.size,
        crc32: entry.crc32,
        sha256: entry.sha256
      }
      const hold = creator.add({ target: onDisk(entry), content, mode: entry.mode & MODE_MASK, time, stored })
      done(entry)
      return hold
    },
    Math.max(1, options.threads ?? defaultThreads()),
    async row => {
      const entry = table.at(row)
      await writeFile(archive, entry, onDisk(entry)).catch((error: unknown) => {
        explainingCollisions(entry, () => {
          throw error
        })
      })
      done(entry)
    }
  )
  try {
    await lanes
  } catch (error) {
    await creator.abort()
    throw error
  }
  await (options.creator ? creator.drain() : creator.finish()).catch((error: unknown) => {
    if (!(error instanceof FileCreateError)) throw error
    const row = files.find(r => onDisk(table.at(r)) === error.target)
    const cause = Object.assign(new Error(error.message), { code: error.code })
    if (row === undefined) throw cause
    explainingCollisions(table.at(row), () => {
      throw cause
    })
  })

  for (const row of symlinks) {
    const entry = table.at(row)
    const target = onDisk(entry)
    explainingCollisions(entry, () => symlinkSync(entry.target as string, target))
    lutimesSync(target, seconds(entry.mtime), seconds(entry.mtime))
    options.progress?.add(0, 1)
  }

  // Deepest first: a child's creation or mode change would otherwise reset its folder's time, or be refused by it.
  for (const rel of relFolders.sort((x, y) => depth(y) - depth(x))) {
    const row = folders.get(rel)
    if (row !== undefined && row !== null) setFolderMeta(path.join(root, rel), table.at(row))
  }
  if (prefixRow !== undefined) setFolderMeta(root, table.at(prefixRow))

  return {
    files: files.length,
    directories: [...folders.values()].filter(e => e !== null).length,
    symlinks: symlinks.length,
    bytes,
    seconds: (Date.now() - started) / 1000
  }
}

/**
 * Names that differ only in case ('Conf' and 'conf') are one path on macOS and Windows file systems. O_EXCL makes the
 * second one fail instead of overwriting the first; this turns that failure into one that says what happened.
 */
function explainingCollisions(entry: ArchiveEntry, write: () => void): void {
  try {
    write()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ELOOP' || code === 'ENOTDIR') {
      throw new IntegrityError(
        `cannot unpack ${entry.name}: another entry already took its place on disk (${code}) — two names that differ ` +
          'only in case on a case-insensitive file system? Unpack on a case-sensitive one',
        { cause: error }
      )
    }
    throw error
  }
}

/** File-creating workers for several extractArchive calls (`creator`); the caller ends them with close(). */
export function fileCreatorFor(threads?: number): FileCreatorPool {
  return new FileCreatorPool(creatorThreads(threads), CREATE_FLAGS)
}

/**
 * Creating files is kernel work that scales with cores: one worker per core beside the main thread's reading, or
 * fewer when the admin holds the action back ('threads').
 */
function creatorThreads(threads: number | undefined): number {
  return Math.max(1, Math.min(threads ?? availableParallelism(), availableParallelism()))
}

async function writeFile(archive: BackupArchive, entry: ArchiveEntry, target: string): Promise<void> {
  const handle = await open(target, CREATE_FLAGS, 0o600)
  try {
    await archive.readContent(entry, chunk => writeAll(handle, chunk))
    await handle.chmod(entry.mode & MODE_MASK)
    await handle.utimes(seconds(entry.mtime), seconds(entry.mtime))
  } finally {
    await handle.close()
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

function setFolderMeta(folder: string, entry: ArchiveEntry): void {
  chmodSync(folder, entry.mode & MODE_MASK)
  utimesSync(folder, seconds(entry.mtime), seconds(entry.mtime))
}

/**
 * libuv truncates the seconds it is given to nanoseconds, so a whole-millisecond time like 1714564800.123 could land
 * at .122999906 and read back one millisecond early; aiming at the middle of that millisecond (where the true time
 * was) round-trips it. Fractional times are kept as they are, to well under a microsecond.
 */
function seconds(ms: number): number {
  return (Number.isInteger(ms) ? ms + 0.5 : ms) / 1000
}

/** `dest` must be an empty folder or absent: unpacking over existing files would mix two states. */
async function prepareDestination(dest: string): Promise<string> {
  const absolute = path.resolve(dest)
  let stat
  try {
    stat = await lstat(absolute)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    await mkdir(absolute, { recursive: true, mode: WORK_DIR_MODE })
    return await realpath(absolute)
  }
  if (!stat.isDirectory()) {
    throw new RestoreError(
      `cannot unpack into ${absolute}: it exists and is not a folder — give an empty or new folder`
    )
  }
  if ((await readdir(absolute)).length > 0) {
    throw new RestoreError(`cannot unpack into ${absolute}: the folder is not empty — give an empty or new folder`)
  }
  return await realpath(absolute)
}

function depth(rel: string): number {
  let n = 0
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) n++
  return n
}
