import { readSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { Readable, pipeline } from 'node:stream'
import * as zlib from 'node:zlib'
import { promisify } from 'node:util'
import { IntegrityError } from '../shared/errors.js'
import { readAt } from './zip-central-directory.js'
import { METHOD_STORE, SIG_LOCAL } from './zip-format.js'

/** Where an entry's bytes are and what they must turn out to be. */
export interface EntryLocation {
  name: string
  method: number
  crc32: number
  compressedSize: number
  size: number
  localHeaderOffset: number
  /** Expected SHA-256 (hex); null skips the hash (the manifest entry itself, which has none). */
  sha256: string | null
}

/** Receives the checked-as-it-goes content; the whole content is proven only once `readEntryContent` resolves. */
export type ContentSink = (chunk: Buffer) => Promise<void>

/** Entries up to this compressed size are read with one pread and inflated as one buffer; bigger ones stream. */
const WHOLE_ENTRY_LIMIT = 1024 * 1024
/** Below this, inflating on the main thread costs less than the hop to the thread pool. */
const SYNC_INFLATE_LIMIT = 32 * 1024
const STREAM_CHUNK = 1024 * 1024
/** Compressed size up to which an entry is handled in line (readSmallEntrySync). */
const SMALL_ENTRY_LIMIT = 256 * 1024
/** Room for the local header's extra field (timestamps, ZIP64) in the first read, saving a second one. */
const LOCAL_EXTRA_GUESS = 128

const inflateRaw = promisify(zlib.inflateRaw) as (buffer: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>

/**
 * Reads, inflates and checks one entry — local header agrees with the central directory, size, CRC-32 and SHA-256 —
 * handing the content to `sink` (null just verifies). Memory stays bounded: big entries stream in 1 MiB pieces.
 */
export async function readEntryContent(
  fd: FileHandle,
  file: string,
  entry: EntryLocation,
  sink: ContentSink | null
): Promise<void> {
  const nameLength = Buffer.byteLength(entry.name)
  const whole = entry.compressedSize <= WHOLE_ENTRY_LIMIT
  const firstRead = 30 + nameLength + LOCAL_EXTRA_GUESS + (whole ? entry.compressedSize : 0)
  const head = await readAt(fd, entry.localHeaderOffset, firstRead)
  const dataStart = checkLocalHeader(head, file, entry)
  const dataOffset = entry.localHeaderOffset + dataStart
  if (whole) {
    let data: Buffer
    if (dataStart + entry.compressedSize <= head.length) {
      data = head.subarray(dataStart, dataStart + entry.compressedSize)
    } else {
      data = await readAt(fd, dataOffset, entry.compressedSize)
    }
    if (data.length !== entry.compressedSize) throw bad(file, entry, 'its data is cut short (the archive is truncated)')
    const content = await inflateWhole(file, entry, data)
    check(file, entry, content.length, zlib.crc32(content), entry.sha256 ? sha256(content) : null)
    if (sink) await sink(content)
    return
  }
  await streamEntry(fd, file, entry, dataOffset, sink)
}

/** Small entries are cheaper read, inflated and written without leaving the thread: see readSmallEntrySync. */
export function isSmallEntry(entry: Pick<EntryLocation, 'compressedSize' | 'size'>): boolean {
  return entry.compressedSize <= SMALL_ENTRY_LIMIT && entry.size <= SMALL_ENTRY_LIMIT * 8
}

/**
 * The synchronous twin of readEntryContent for small entries (isSmallEntry): one pread into `scratch`, inflate and
 * check. Returns the checked content, which may share memory with `scratch` (valid until its next use). Tens of
 * thousands of small files cost mostly per-call overhead; doing them in line, like unzip does, avoids a thread-pool
 * round trip and a promise per step.
 */
export function readSmallEntrySync(fd: number, file: string, entry: EntryLocation, scratch: Buffer): Buffer {
  return inflateChecked(file, entry, readSmallDataSync(fd, file, entry, scratch))
}

/**
 * The first half of readSmallEntrySync: the entry's stored (compressed) bytes, after its local header was checked
 * against the central directory. Nothing in them is proven yet: inflateChecked does that, on any thread.
 */
export function readSmallDataSync(fd: number, file: string, entry: EntryLocation, scratch: Buffer): Buffer {
  const length = Math.min(scratch.length, 30 + Buffer.byteLength(entry.name) + LOCAL_EXTRA_GUESS + entry.compressedSize)
  const read = readSync(fd, scratch, 0, length, entry.localHeaderOffset)
  const head = scratch.subarray(0, read)
  const dataStart = checkLocalHeader(head, file, entry)
  let data: Buffer
  if (dataStart + entry.compressedSize <= head.length) {
    data = head.subarray(dataStart, dataStart + entry.compressedSize)
  } else {
    data = Buffer.allocUnsafe(entry.compressedSize)
    data = data.subarray(0, readSync(fd, data, 0, data.length, entry.localHeaderOffset + dataStart))
  }
  if (data.length !== entry.compressedSize) throw bad(file, entry, 'its data is cut short (the archive is truncated)')
  return data
}

/** What proves an entry's content: its name (for the message), method, size, CRC-32 and SHA-256. */
export type EntryCheck = Pick<EntryLocation, 'name' | 'method' | 'size' | 'crc32' | 'sha256'>

/**
 * Inflates a small entry's stored bytes (at most one byte past its declared size: a bomb stops there) and checks
 * size, CRC-32 and SHA-256; returns the content or throws IntegrityError naming the entry. Pure, so the file
 * creator's workers run it beside the thread that reads.
 */
export function inflateChecked(file: string, entry: EntryCheck, data: Buffer): Buffer {
  let content = data
  if (entry.method !== METHOD_STORE) {
    try {
      // One output buffer of the declared size (plus the byte that catches a bomb), not 16 KiB pieces joined after.
      content = zlib.inflateRawSync(data, { maxOutputLength: entry.size + 1, chunkSize: Math.max(64, entry.size + 1) })
    } catch (error) {
      throw bad(file, entry, `its compressed data is corrupt (${(error as Error).message})`, error)
    }
  }
  check(file, entry, content.length, zlib.crc32(content), entry.sha256 ? sha256(content) : null)
  return content
}

/** Scratch space big enough for any small entry with its local header. */
export function smallEntryScratch(): Buffer {
  return Buffer.allocUnsafe(SMALL_ENTRY_LIMIT + 30 + 0xffff * 2)
}

/** Checks the local header against the central directory; returns where the data starts, relative to the header. */
function checkLocalHeader(head: Buffer, file: string, entry: EntryLocation): number {
  if (head.length < 30 || head.readUInt32LE(0) !== SIG_LOCAL) {
    throw bad(file, entry, 'its local header is missing (the archive is damaged or truncated)')
  }
  const localNameLength = head.readUInt16LE(26)
  if (head.length < 30 + localNameLength || head.toString('utf8', 30, 30 + localNameLength) !== entry.name) {
    // Two names for one entry is how "zip confusion" attacks show one file to a checker and another to the unpacker.
    throw bad(file, entry, 'its local header names a different file than the central directory')
  }
  if (head.readUInt16LE(8) !== entry.method) {
    throw bad(file, entry, 'its local header disagrees with the central directory on the compression method')
  }
  return 30 + localNameLength + head.readUInt16LE(28)
}

async function inflateWhole(file: string, entry: EntryLocation, data: Buffer): Promise<Buffer> {
  if (entry.method === METHOD_STORE) return data
  // One byte of headroom: more output than the directory promised is caught without inflating a bomb to the end.
  const options = { maxOutputLength: entry.size + 1 }
  try {
    return entry.compressedSize <= SYNC_INFLATE_LIMIT
      ? zlib.inflateRawSync(data, options)
      : await inflateRaw(data, options)
  } catch (error) {
    throw bad(file, entry, `its compressed data is corrupt (${(error as Error).message})`, error)
  }
}

async function streamEntry(
  fd: FileHandle,
  file: string,
  entry: EntryLocation,
  dataOffset: number,
  sink: ContentSink | null
): Promise<void> {
  async function* compressed(): AsyncGenerator<Buffer> {
    let position = dataOffset
    let remaining = entry.compressedSize
    while (remaining > 0) {
      const chunk = await readAt(fd, position, Math.min(STREAM_CHUNK, remaining))
      if (chunk.length === 0) throw bad(file, entry, 'its data is cut short (the archive is truncated)')
      position += chunk.length
      remaining -= chunk.length
      yield chunk
    }
  }
  const source = Readable.from(compressed(), { objectMode: false, highWaterMark: 1 })
  const content: Readable =
    entry.method === METHOD_STORE
      ? source
      : pipeline(source, zlib.createInflateRaw({ chunkSize: 256 * 1024 }), () => {
          // Errors surface through the iteration below.
        })
  const hash = entry.sha256 ? createHash('sha256') : null
  let crc = 0
  let size = 0
  try {
    for await (const chunk of content as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > entry.size) throw bad(file, entry, `it inflates to more than the ${entry.size} bytes it declares`)
      crc = zlib.crc32(chunk, crc)
      hash?.update(chunk)
      if (sink) await sink(chunk)
    }
  } catch (error) {
    content.destroy()
    if (error instanceof IntegrityError) throw error
    throw bad(file, entry, `its compressed data is corrupt (${(error as Error).message})`, error)
  }
  check(file, entry, size, crc, hash ? hash.digest('hex') : null)
}

function check(file: string, entry: EntryCheck, size: number, crc: number, sha: string | null): void {
  if (size !== entry.size) throw bad(file, entry, `it holds ${size} bytes, the archive declares ${entry.size}`)
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw bad(file, entry, `its CRC-32 is ${hex8(crc)}, the archive declares ${hex8(entry.crc32)}`)
  }
  if (entry.sha256 !== null && sha !== entry.sha256) {
    throw bad(file, entry, `its SHA-256 is ${sha}, the manifest says ${entry.sha256}`)
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0')
}

function bad(file: string, entry: Pick<EntryLocation, 'name'>, detail: string, cause?: unknown): IntegrityError {
  return new IntegrityError(`the backup ${file} is damaged: entry ${entry.name}: ${detail} — use another backup`, {
    cause
  })
}
