import type { FileHandle } from 'node:fs/promises'
import { IntegrityError } from '../shared/errors.js'
import { readEntryContent, readSmallEntrySync, type EntryLocation } from './entry-content.js'
import { linkEscapeReason, pathKey, unsafeNameReason } from './entry-safety.js'
import {
  DATABASE_PREFIX,
  HOME_PREFIX,
  MANIFEST_ENTRY,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type FileRecord,
  type Manifest
} from './manifest.js'
import type { CentralDirectoryRecord } from './zip-central-directory.js'
import { FLAG_ENCRYPTED, METHOD_DEFLATE, METHOD_STORE } from './zip-format.js'
import { entryKind, openZip } from './zip-file.js'

/** One entry of a backup, checked against the manifest: what it is comes from the manifest, where it is from the zip. */
export interface ArchiveEntry extends EntryLocation {
  type: FileRecord['type']
  /** Permission bits as recorded in the manifest. */
  mode: number
  /** ms since the epoch. */
  mtime: number
  /** Link text, for symlinks (read and checked when the archive is opened). */
  target?: string
}

export interface BackupArchive {
  readonly file: string
  readonly manifest: Manifest
  /** Every entry but manifest.json, in archive order. */
  readonly entries: readonly ArchiveEntry[]
  /** Reads one entry's content, checking size, CRC-32 and SHA-256 as it goes (see readEntryContent). */
  readContent(entry: ArchiveEntry, sink: ((chunk: Buffer) => Promise<void>) | null): Promise<void>
  /**
   * The same, in line, for a small entry (isSmallEntry): returns the checked content, which may share memory with
   * `scratch` (from smallEntryScratch) and is valid until its next use.
   */
  readSmallSync(entry: ArchiveEntry, scratch: Buffer): Buffer
  close(): Promise<void>
}

const MAX_MANIFEST_BYTES = 512 * 1024 * 1024
const MAX_LINK_BYTES = 4096

/**
 * Opens a backup and proves its structure before anything is unpacked: a ZIP at all, a manifest of a format this
 * version understands, exactly the entries the manifest lists (no more, no fewer, no duplicates), safe names, sizes
 * and types that agree, symlinks that stay inside the folder they restore into. Contents are checked later, while
 * they are read (verifyArchive, extractArchive).
 */
export async function openBackupArchive(file: string): Promise<BackupArchive> {
  const { fd, size, records } = await openZip(file)
  try {
    return await checkArchive(fd, file, size, records)
  } catch (error) {
    await fd.close()
    throw error
  }
}

async function checkArchive(
  fd: FileHandle,
  file: string,
  fileSize: number,
  records: CentralDirectoryRecord[]
): Promise<BackupArchive> {
  const problem = (detail: string): IntegrityError =>
    new IntegrityError(`the backup ${file} is refused: ${detail} — use another backup`)
  checkRecords(records, fileSize, problem)

  const manifestRecord = records.find(r => r.name === MANIFEST_ENTRY)
  if (!manifestRecord) {
    throw new IntegrityError(
      `${file} has no ${MANIFEST_ENTRY}: it is a ZIP file but not an xlr-backup backup (or one whose manifest was lost)`
    )
  }
  const manifest = await readManifest(fd, file, manifestRecord)

  const listed = new Map<string, FileRecord>()
  const listedTwice: string[] = []
  for (const record of manifest.files) {
    if (listed.has(record.path)) listedTwice.push(record.path)
    listed.set(record.path, record)
  }
  if (listedTwice.length > 0) throw problem(`the manifest lists ${list(listedTwice)} more than once`)
  const inZip = new Set(records.map(r => r.name))
  const missing = [...listed.keys()].filter(name => !inZip.has(name))
  if (missing.length > 0) throw problem(`the manifest lists ${list(missing)}, missing from the archive`)
  const extra = records.filter(r => r.name !== MANIFEST_ENTRY && !listed.has(r.name)).map(r => r.name)
  if (extra.length > 0) throw problem(`the archive holds ${list(extra)}, not listed in the manifest`)

  const entries: ArchiveEntry[] = []
  for (const record of records) {
    if (record === manifestRecord) continue
    entries.push(toEntry(record, listed.get(record.name) as FileRecord, problem))
  }
  checkParents(entries, problem)
  const archive: BackupArchive = {
    file,
    manifest,
    entries,
    readContent: (entry, sink) => readEntryContent(fd, file, entry, sink),
    readSmallSync: (entry, scratch) => readSmallEntrySync(fd.fd, file, entry, scratch),
    close: () => fd.close()
  }
  await readLinks(archive, problem)
  return archive
}

/** Names, duplicates, encryption, methods, and entries that overlap (a "zip bomb" reuses the same bytes many times). */
function checkRecords(
  records: CentralDirectoryRecord[],
  fileSize: number,
  problem: (detail: string) => IntegrityError
): void {
  const seen = new Map<string, string>()
  for (const record of records) {
    const reason = unsafeNameReason(record.name)
    if (reason) throw problem(`the entry ${JSON.stringify(record.name)} has an unsafe name: ${reason}`)
    const key = pathKey(record.name)
    const before = seen.get(key)
    if (before !== undefined) {
      throw problem(
        before === record.name
          ? `the entry ${record.name} appears twice`
          : `the entries ${before} and ${record.name} name the same path`
      )
    }
    seen.set(key, record.name)
    if (
      record.name !== MANIFEST_ENTRY &&
      !record.name.startsWith(HOME_PREFIX) &&
      !record.name.startsWith(DATABASE_PREFIX)
    ) {
      throw problem(`the entry ${record.name} is outside ${HOME_PREFIX} and ${DATABASE_PREFIX}`)
    }
    if (record.flags & FLAG_ENCRYPTED) throw problem(`the entry ${record.name} is encrypted with ZIP encryption`)
    if (record.method !== METHOD_STORE && record.method !== METHOD_DEFLATE) {
      throw problem(
        `the entry ${record.name} uses compression method ${record.method} (only stored and deflate are used)`
      )
    }
  }
  const byOffset = [...records].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)
  for (let i = 0; i < byOffset.length; i++) {
    const r = byOffset[i]
    const end = r.localHeaderOffset + 30 + Buffer.byteLength(r.name) + r.compressedSize
    const limit = i + 1 < byOffset.length ? byOffset[i + 1].localHeaderOffset : fileSize
    if (end > limit) {
      throw problem(
        i + 1 < byOffset.length
          ? `the entries ${r.name} and ${byOffset[i + 1].name} overlap`
          : `the entry ${r.name} runs past the end of the file (truncated?)`
      )
    }
  }
}

async function readManifest(fd: FileHandle, file: string, record: CentralDirectoryRecord): Promise<Manifest> {
  if (record.size > MAX_MANIFEST_BYTES) {
    throw new IntegrityError(`the ${MANIFEST_ENTRY} of ${file} is implausibly large (${record.size} bytes)`)
  }
  const chunks: Buffer[] = []
  await readEntryContent(fd, file, { ...record, sha256: null }, async chunk => {
    chunks.push(chunk)
  })
  let manifest: Manifest
  try {
    manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest
  } catch (error) {
    throw new IntegrityError(`the ${MANIFEST_ENTRY} of ${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error
    })
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== MANIFEST_FORMAT) {
    throw new IntegrityError(
      `${file} is not an xlr-backup backup: its ${MANIFEST_ENTRY} has format ` +
        `${JSON.stringify((manifest as { format?: unknown } | null)?.format)}, expected '${MANIFEST_FORMAT}'`
    )
  }
  if (typeof manifest.formatVersion !== 'number' || !Number.isInteger(manifest.formatVersion)) {
    throw new IntegrityError(`the ${MANIFEST_ENTRY} of ${file} has no valid formatVersion`)
  }
  if (manifest.formatVersion > MANIFEST_VERSION) {
    throw new IntegrityError(
      `the backup ${file} has format version ${manifest.formatVersion}, newer than this xlr-backup understands ` +
        `(${MANIFEST_VERSION}) — restore it with a newer version of xlr-backup (the one that made it: ` +
        `${manifest.tool?.name ?? 'xlr-backup'} ${manifest.tool?.version ?? '?'})`
    )
  }
  if (!Array.isArray(manifest.files)) throw new IntegrityError(`the ${MANIFEST_ENTRY} of ${file} has no file list`)
  for (const [i, f] of manifest.files.entries()) {
    const valid =
      typeof f === 'object' &&
      f !== null &&
      typeof f.path === 'string' &&
      (f.type === 'file' || f.type === 'directory' || f.type === 'symlink') &&
      Number.isInteger(f.mode) &&
      Number.isFinite(f.mtime) &&
      Number.isInteger(f.size) &&
      f.size >= 0 &&
      (f.type === 'directory' || (typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256)))
    if (!valid) {
      throw new IntegrityError(
        `the ${MANIFEST_ENTRY} of ${file} has a malformed record #${i + 1}: ${JSON.stringify(f)}`
      )
    }
  }
  return manifest
}

function toEntry(
  record: CentralDirectoryRecord,
  listed: FileRecord,
  problem: (detail: string) => IntegrityError
): ArchiveEntry {
  const isFolderName = record.name.endsWith('/')
  const zipType = entryKind(record)
  if (typeof zipType === 'object') {
    throw problem(`the entry ${record.name} is a device, FIFO or socket (mode ${zipType.special.toString(8)})`)
  }
  if (zipType !== listed.type) {
    throw problem(`the entry ${record.name} is a ${zipType} in the archive but a ${listed.type} in the manifest`)
  }
  if ((zipType === 'directory') !== isFolderName) {
    throw problem(
      `the entry ${record.name} is a ${zipType} but its name ${isFolderName ? 'ends' : 'does not end'} with '/'`
    )
  }
  if (record.size !== listed.size) {
    throw problem(`the entry ${record.name} is ${record.size} bytes in the archive but ${listed.size} in the manifest`)
  }
  if (zipType === 'symlink' && record.size > MAX_LINK_BYTES) {
    throw problem(`the symlink ${record.name} has a ${record.size}-byte target`)
  }
  return {
    name: record.name,
    method: record.method,
    crc32: record.crc32,
    compressedSize: record.compressedSize,
    size: record.size,
    localHeaderOffset: record.localHeaderOffset,
    sha256: listed.type === 'directory' ? null : (listed.sha256 as string),
    type: listed.type,
    mode: listed.mode & 0o7777,
    mtime: listed.mtime
  }
}

/**
 * A file under a symlink (`home/x -> /etc` then `home/x/passwd`) is the classic zip-slip; a file under a file cannot
 * be unpacked either. Refused here, so the unpacker never meets one.
 */
function checkParents(entries: ArchiveEntry[], problem: (detail: string) => IntegrityError): void {
  const types = new Map(entries.map(e => [pathKey(e.name), e.type]))
  for (const entry of entries) {
    const key = pathKey(entry.name)
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
      const parentType = types.get(key.slice(0, i))
      if (parentType === 'symlink') throw problem(`the entry ${entry.name} lies under the symlink ${key.slice(0, i)}`)
      if (parentType === 'file') throw problem(`the entry ${entry.name} lies under the file ${key.slice(0, i)}`)
    }
  }
}

/** Reads every link's text (checked by hash like any content) and refuses links that leave their root. */
async function readLinks(archive: BackupArchive, problem: (detail: string) => IntegrityError): Promise<void> {
  const links = new Map<string, string>()
  for (const entry of archive.entries) {
    if (entry.type !== 'symlink') continue
    const chunks: Buffer[] = []
    await archive.readContent(entry, async chunk => {
      chunks.push(chunk)
    })
    entry.target = Buffer.concat(chunks).toString('utf8')
    links.set(entry.name, entry.target)
  }
  for (const name of links.keys()) {
    const reason = linkEscapeReason(name, links, linkRoot(name))
    if (reason) throw problem(`the symlink ${name} is unsafe: ${reason}`)
  }
}

/** Home links may point anywhere in the home; a dump's links only inside that dump. */
export function linkRoot(name: string): string {
  if (name.startsWith(HOME_PREFIX)) return HOME_PREFIX
  const parts = name.split('/')
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : `${parts[0]}/`
}

function list(names: string[]): string {
  const shown = names.slice(0, 5).join(', ')
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown
}
