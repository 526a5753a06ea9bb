import { createHash, type Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { IntegrityError } from '../shared/errors.js'
import { readEntryContent, readSmallDataSync, readSmallEntrySync } from '../zip/entry-content.js'
import { linkEscapeReason, pathKey, unsafeNameReason } from './entry-safety.js'
import { collectGarbage } from './gc-hint.js'
import { EntryTable, type ArchiveEntry } from './entry-table.js'
import { jsonDepth } from './json-depth.js'
import {
  DUMP_FILES,
  ManifestSchemaError,
  MAX_LINK_TEXT,
  NewerFormatError,
  validateManifest
} from './manifest-schema.js'
import {
  DATABASE_PREFIX,
  HOME_PREFIX,
  MANIFEST_ENTRY,
  MANIFEST_FORMAT,
  type FileRecord,
  type Manifest
} from '../format/manifest.js'
import type { CentralDirectoryRecord } from '../zip/zip-central-directory.js'
import { FLAG_ENCRYPTED, METHOD_DEFLATE, METHOD_STORE } from '../zip/zip-format.js'
import { entryKind, openZip } from '../zip/zip-file.js'

export type { ArchiveEntry } from './entry-table.js'

/** The checked manifest of an opened backup: its `files` are the archive's entries (in archive order). */
export type ArchiveManifest = Omit<Manifest, 'files'> & { readonly files: EntryTable }

export interface BackupArchive {
  readonly file: string
  readonly manifest: ArchiveManifest
  /** SHA-256 (hex) of the manifest.json entry's content, as a backup signature names it. */
  readonly manifestSha256: string
  /** Every entry but manifest.json, in archive order. */
  readonly entries: EntryTable
  /** Reads one entry's content, checking size, CRC-32 and SHA-256 as it goes (see readEntryContent). */
  readContent(entry: ArchiveEntry, sink: ((chunk: Buffer) => Promise<void>) | null): Promise<void>
  /**
   * The same, in line, for a small entry (isSmallEntry): returns the checked content, which may share memory with
   * `scratch` (from smallEntryScratch) and is valid until its next use.
   */
  readSmallSync(entry: ArchiveEntry, scratch: Buffer): Buffer
  /**
   * A small entry's stored bytes, its local header checked but its content not yet (inflateChecked proves it, on
   * any thread); may share memory with `scratch`, valid until its next use.
   */
  readSmallDataSync(entry: ArchiveEntry, scratch: Buffer): Buffer
  close(): Promise<void>
}

const MAX_MANIFEST_BYTES = 512 * 1024 * 1024
const MAX_LINK_BYTES = MAX_LINK_TEXT

/**
 * Opens a backup and proves its structure before anything is unpacked: a ZIP at all, a manifest of a format this
 * version understands, exactly the entries the manifest lists (no more, no fewer, no duplicates), safe names, sizes
 * and types that agree, symlinks that stay inside the folder they restore into. Contents are checked later, while
 * they are read (verifyArchive, extractArchive).
 */
export async function openBackupArchive(file: string): Promise<BackupArchive> {
  const { fd, size, records } = await openZip(file)
  try {
    const archive = await checkArchive(fd, file, size, records)
    // The parsed manifest, its text and the directory's records are garbage now, as big as the rest of the heap at
    // the start; collected at once, not carried into the unpacking until V8 gets round to a full collection.
    collectGarbage()
    return archive
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
  const manifestHash = createHash('sha256')
  const manifest = await readManifest(fd, file, manifestRecord, manifestByteLimit(records), manifestHash)
  // Its text (as bytes and as a string) is as big as the records parsed from it: gone before the entries are built.
  collectGarbage()

  const { entries, linkTargets } = pairWithManifest(records, manifestRecord, manifest, file, problem)
  checkParents(entries, problem)
  const archive: BackupArchive = {
    file,
    manifest: { ...manifest, files: entries },
    manifestSha256: manifestHash.digest('hex'),
    entries,
    readContent: (entry, sink) => readEntryContent(fd, file, entry, sink),
    readSmallSync: (entry, scratch) => readSmallEntrySync(fd.fd, file, entry, scratch),
    readSmallDataSync: (entry, scratch) => readSmallDataSync(fd.fd, file, entry, scratch),
    close: () => fd.close()
  }
  await readLinks(archive, linkTargets, problem)
  return archive
}

/**
 * Exactly the entries the manifest lists (no more, no fewer, no duplicates), each made a row of one EntryTable; the
 * manifest's own records (and the lookups built here) are left behind for the collector. `linkTargets`: the link
 * texts the manifest records, which readLinks compares with the archive's.
 */
function pairWithManifest(
  records: CentralDirectoryRecord[],
  manifestRecord: CentralDirectoryRecord,
  manifest: Manifest,
  file: string,
  problem: (detail: string) => IntegrityError
): { entries: EntryTable; linkTargets: Map<string, string | undefined> } {
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
  checkDumpEntries(manifest, inZip, file)

  let nameBytes = 0
  for (const record of records) if (record !== manifestRecord) nameBytes += Buffer.byteLength(record.name)
  const entries = new EntryTable(records.length - 1, nameBytes)
  const linkTargets = new Map<string, string | undefined>()
  for (const record of records) {
    if (record === manifestRecord) continue
    const fileRecord = listed.get(record.name) as FileRecord
    entries.add(toEntry(record, fileRecord, problem))
    if (fileRecord.type === 'symlink') linkTargets.set(fileRecord.path, fileRecord.target)
  }
  return { entries, linkTargets }
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

/** Nesting of a real manifest: the object, `databases`, a record, its `dump`, its `tool` — 5 levels. */
export const MAX_MANIFEST_DEPTH = 8
/** Room for the manifest's own fields, components, exclusions and database records (MySQL table lists). */
const MANIFEST_BASE_BYTES = 4 * 1024 * 1024
/** Per entry: its record's fixed fields (type, mode, times, size, a SHA-256 and the JSON around them). */
const MANIFEST_BYTES_PER_ENTRY = 512
/** A name or link text may grow six-fold in JSON (`\u0001`). */
const JSON_ESCAPE_FACTOR = 6

/**
 * The most bytes an honest manifest of these entries takes: the manifest lists each entry once, so its size follows
 * from the central directory. A bigger one is padding meant to cost memory, refused before a byte is inflated.
 */
export function manifestByteLimit(records: readonly CentralDirectoryRecord[]): number {
  let limit = MANIFEST_BASE_BYTES
  for (const r of records) {
    const isLink = entryKind(r) === 'symlink'
    limit +=
      MANIFEST_BYTES_PER_ENTRY +
      JSON_ESCAPE_FACTOR * (Buffer.byteLength(r.name) + (isLink ? Math.min(r.size, MAX_LINK_BYTES) : 0))
  }
  return Math.min(limit, MAX_MANIFEST_BYTES)
}

async function readManifest(
  fd: FileHandle,
  file: string,
  record: CentralDirectoryRecord,
  limit: number,
  hash: Hash
): Promise<Manifest> {
  if (record.size > limit) {
    throw forged(file, `its ${MANIFEST_ENTRY} is ${record.size} bytes, more than ${limit} for its entries`)
  }
  // One buffer of the declared size (readEntryContent proves it is exactly that), not pieces joined after.
  const bytes = Buffer.allocUnsafe(record.size)
  let filled = 0
  await readEntryContent(fd, file, { ...record, sha256: null }, async chunk => {
    hash.update(chunk)
    if (filled + chunk.length > bytes.length) return
    chunk.copy(bytes, filled)
    filled += chunk.length
  })
  const depth = jsonDepth(bytes, MAX_MANIFEST_DEPTH)
  if (depth > MAX_MANIFEST_DEPTH) {
    throw forged(file, `its ${MANIFEST_ENTRY} nests deeper than ${MAX_MANIFEST_DEPTH} levels`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new IntegrityError(
      `the ${MANIFEST_ENTRY} of ${file} is not valid JSON: ${(error as Error).message} — use another backup`,
      { cause: error }
    )
  }
  try {
    return validateManifest(parsed)
  } catch (error) {
    if (error instanceof NewerFormatError) throw new IntegrityError(`the backup ${file} has ${error.message}`)
    if (error instanceof ManifestSchemaError && error.field === 'format') {
      throw new IntegrityError(
        `${file} is not an xlr-backup backup: its ${MANIFEST_ENTRY} has format ` +
          `${JSON.stringify((parsed as { format?: unknown } | null)?.format)}, expected '${MANIFEST_FORMAT}'`
      )
    }
    if (error instanceof ManifestSchemaError) throw forged(file, `its ${MANIFEST_ENTRY}: ${error.message}`)
    throw error
  }
}

/** A refusal of what an honest backup never holds: the backup was forged or altered, not merely damaged. */
function forged(file: string, detail: string): IntegrityError {
  return new IntegrityError(
    `the backup ${file} is refused: ${detail} — this backup was not made by xlr-backup or was altered: do not restore it`
  )
}

/**
 * Every entry under 'database/' belongs to the dump of one manifest record, and every dump's file is there: an
 * entry no record names would be checked by no one (restore unpacks only what records name), and a dump whose file
 * is missing cannot be loaded.
 */
function checkDumpEntries(manifest: Manifest, names: ReadonlySet<string>, file: string): void {
  const prefixes = new Map<string, string>()
  manifest.databases.forEach((d, i) => {
    if (!d.dump) return
    prefixes.set(d.dump.prefix, `databases[${i}]`)
    const dumpFile = DUMP_FILES[d.dump.format]
    const dumpName =
      dumpFile === null ? null : `${d.dump.prefix}${dumpFile}${d.dump.format === 'pg-directory' ? '/' : ''}`
    if (dumpName !== null && !names.has(dumpName)) {
      throw forged(
        file,
        `its ${MANIFEST_ENTRY} says databases[${i}] was dumped to ${dumpName}, which the archive lacks`
      )
    }
  })
  for (const name of names) {
    if (!name.startsWith(DATABASE_PREFIX) || name === DATABASE_PREFIX) continue
    const second = name.indexOf('/', DATABASE_PREFIX.length)
    const prefix = second < 0 ? null : name.slice(0, second + 1)
    if (prefix === null || !prefixes.has(prefix)) {
      throw forged(file, `the entry ${name} lies under ${DATABASE_PREFIX} but in no dump the manifest records`)
    }
  }
}

function toEntry(
  record: CentralDirectoryRecord,
  listed: FileRecord,
  problem: (detail: string) => IntegrityError
): Omit<ArchiveEntry, 'path'> {
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
    mtime: listed.mtime,
    ...(listed.owner !== undefined ? { owner: listed.owner } : {})
  }
}

/**
 * A file under a symlink (`home/x -> /etc` then `home/x/passwd`) is the classic zip-slip; a file under a file cannot
 * be unpacked either. Refused here, so the unpacker never meets one.
 *
 * Linear in the total length of the names (plus a sort): with '/' ordered before every other character, everything
 * under a path comes right after it, so the last file or link seen is the only one a later entry can lie under.
 * Looking up every parent of every entry instead costs the square of the depth per entry.
 */
function checkParents(entries: EntryTable, problem: (detail: string) => IntegrityError): void {
  const keyed: { row: number; key: string; order: Buffer }[] = []
  for (let row = 0; row < entries.length; row++) {
    const key = pathKey(entries.name(row))
    // UTF-8 bytes compare as code points do, and memcmp is fast where comparing long JS strings is not.
    const order = Buffer.from(key, 'utf8')
    for (let i = order.indexOf(0x2f); i >= 0; i = order.indexOf(0x2f, i + 1)) order[i] = 0
    keyed.push({ row, key, order })
  }
  keyed.sort((a, b) => Buffer.compare(a.order, b.order))
  let blocker: { key: string; under: string; type: FileRecord['type'] } | null = null
  for (const { row, key } of keyed) {
    if (blocker && key.startsWith(blocker.under)) {
      throw problem(`the entry ${entries.name(row)} lies under the ${blocker.type} ${blocker.key}`)
    }
    const type = entries.type(row)
    if (type !== 'directory') blocker = { key, under: `${key}/`, type }
  }
}

/** Reads every link's text (checked by hash like any content) and refuses links that leave their root. */
async function readLinks(
  archive: BackupArchive,
  recorded: ReadonlyMap<string, string | undefined>,
  problem: (detail: string) => IntegrityError
): Promise<void> {
  const links = new Map<string, string>()
  const { entries } = archive
  for (let row = 0; row < entries.length; row++) {
    if (entries.type(row) !== 'symlink') continue
    const chunks: Buffer[] = []
    await archive.readContent(entries.at(row), async chunk => {
      chunks.push(chunk)
    })
    const target = Buffer.concat(chunks).toString('utf8')
    entries.setTarget(row, target)
    links.set(entries.name(row), target)
  }
  for (const [name, target] of recorded) {
    if (links.get(name) !== target) {
      throw problem(
        `the symlink ${name} points to ${JSON.stringify(links.get(name))} in the archive but ${JSON.stringify(target)} in the manifest`
      )
    }
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
