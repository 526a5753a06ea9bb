/**
 * Byte layout of ZIP records (PKWARE APPNOTE 6.3, Info-ZIP extra fields): the signatures, flags, methods and mode bits
 * the writer and the reader share, and the builders of the records the writer emits. No I/O, so every record can be
 * unit-tested against `unzip`/`zipinfo` through the writer.
 */

export const SIG_LOCAL = 0x04034b50
export const SIG_CENTRAL = 0x02014b50
export const SIG_DESCRIPTOR = 0x08074b50
export const SIG_EOCD = 0x06054b50
export const SIG_ZIP64_EOCD = 0x06064b50
export const SIG_ZIP64_LOCATOR = 0x07064b50

export const METHOD_STORE = 0
export const METHOD_DEFLATE = 8

/** General-purpose flags: traditional PKWARE encryption; sizes/CRC follow the data; names and comments are UTF-8. */
export const FLAG_ENCRYPTED = 1 << 0
export const FLAG_DATA_DESCRIPTOR = 1 << 3
export const FLAG_UTF8 = 1 << 11

/** Host 3 (upper byte of "version made by") is Unix: the external attributes carry st_mode in their high 16 bits. */
export const HOST_UNIX = 3
/** "Version made by": Unix, so unzip applies the mode bits in the external attributes; spec 6.3. */
export const MADE_BY_UNIX = (HOST_UNIX << 8) | 63
export const VERSION_DEFLATE = 20
export const VERSION_ZIP64 = 45

export const EXTRA_ZIP64 = 0x0001
export const EXTRA_EXTENDED_TIMESTAMP = 0x5455

/** File type bits of st_mode, as Unix hosts store them in the external attributes. */
export const S_IFMT = 0o170000
export const S_IFREG = 0o100000
export const S_IFDIR = 0o040000
export const S_IFLNK = 0o120000
/** MS-DOS directory attribute, set as Info-ZIP does so DOS-minded tools see folders too. */
const DOS_DIRECTORY = 0x10

export const UINT32_MAX = 0xffffffff
export const UINT16_MAX = 0xffff

export type EntryKind = 'file' | 'directory' | 'symlink'

/** Everything the central directory needs to know about one written entry. */
export interface CentralEntry {
  name: Buffer
  kind: EntryKind
  /** Permission bits (mode & 0o7777). */
  mode: number
  mtimeMs: number
  method: number
  flags: number
  crc: number
  compressedSize: number
  size: number
  offset: number
}

/** DOS date/time in local time, as Info-ZIP writes it; readers prefer the UTC extended timestamp when present. */
export function dosDateTime(mtimeMs: number): { date: number; time: number } {
  // The local and the central header of an entry ask in turn: the second is answered without a Date.
  if (mtimeMs === lastDos.mtimeMs) return lastDos.value
  const d = new Date(mtimeMs)
  let year = d.getFullYear()
  let value: { date: number; time: number }
  if (year < 1980) value = { date: (1 << 5) | 1, time: 0 }
  else {
    if (year > 2107) year = 2107
    const date = ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate()
    const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1)
    value = { date, time }
  }
  lastDos = { mtimeMs, value }
  return value
}
let lastDos: { mtimeMs: number; value: { date: number; time: number } } = { mtimeMs: NaN, value: { date: 0, time: 0 } }

/** Unix seconds clamped to the unsigned 32-bit range the 0x5455 field can hold. */
function unixSeconds(mtimeMs: number): number {
  return Math.min(UINT32_MAX, Math.max(0, Math.floor(mtimeMs / 1000)))
}

const EXTENDED_TIMESTAMP_LENGTH = 9

/** Writes the 0x5455 extra field (mtime only) at `at`; returns the offset after it. */
function writeExtendedTimestamp(b: Buffer, at: number, mtimeMs: number): number {
  b.writeUInt16LE(EXTRA_EXTENDED_TIMESTAMP, at)
  b.writeUInt16LE(5, at + 2)
  b.writeUInt8(1, at + 4) // mtime present
  b.writeUInt32LE(unixSeconds(mtimeMs), at + 5)
  return at + EXTENDED_TIMESTAMP_LENGTH
}

function zip64ExtraLength(values: number): number {
  return values > 0 ? 4 + 8 * values : 0
}

/** Writes the ZIP64 extra field holding `values` at `at` (nothing when there are none); returns the offset after. */
function writeZip64Extra(b: Buffer, at: number, values: number[]): number {
  if (values.length === 0) return at
  b.writeUInt16LE(EXTRA_ZIP64, at)
  b.writeUInt16LE(8 * values.length, at + 2)
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), at + 4 + 8 * i))
  return at + zip64ExtraLength(values.length)
}

/** External attributes: the full Unix st_mode in the high 16 bits (type bits included, as unzip expects). */
export function externalAttributes(kind: EntryKind, mode: number): number {
  const type = kind === 'directory' ? S_IFDIR : kind === 'symlink' ? S_IFLNK : S_IFREG
  return (((type | (mode & 0o7777)) << 16) | (kind === 'directory' ? DOS_DIRECTORY : 0)) >>> 0
}

export interface LocalHeaderInput {
  name: Buffer
  mtimeMs: number
  method: number
  flags: number
  crc: number
  compressedSize: number
  size: number
  /** Write the sizes as ZIP64 (needed when they may pass 4 GiB; for streamed entries this also makes the data
   * descriptor carry 8-byte sizes). */
  zip64: boolean
}

/** The local header, name and extra fields (ZIP64 first when present, then the timestamp), in one buffer. */
export function localHeader(h: LocalHeaderInput): Buffer {
  const { date, time } = dosDateTime(h.mtimeMs)
  const big = h.zip64 ? [h.size, h.compressedSize] : []
  const extraLength = zip64ExtraLength(big.length) + EXTENDED_TIMESTAMP_LENGTH
  // Every byte is written below, so the buffer need not be zeroed first.
  const b = Buffer.allocUnsafe(30 + h.name.length + extraLength)
  b.writeUInt32LE(SIG_LOCAL, 0)
  b.writeUInt16LE(h.zip64 ? VERSION_ZIP64 : VERSION_DEFLATE, 4)
  b.writeUInt16LE(h.flags, 6)
  b.writeUInt16LE(h.method, 8)
  b.writeUInt16LE(time, 10)
  b.writeUInt16LE(date, 12)
  b.writeUInt32LE(h.crc >>> 0, 14)
  b.writeUInt32LE(h.zip64 ? UINT32_MAX : h.compressedSize, 18)
  b.writeUInt32LE(h.zip64 ? UINT32_MAX : h.size, 22)
  b.writeUInt16LE(h.name.length, 26)
  b.writeUInt16LE(extraLength, 28)
  h.name.copy(b, 30)
  writeExtendedTimestamp(b, writeZip64Extra(b, 30 + h.name.length, big), h.mtimeMs)
  return b
}

export function dataDescriptor(crc: number, compressedSize: number, size: number, zip64: boolean): Buffer {
  const b = Buffer.alloc(zip64 ? 24 : 16)
  b.writeUInt32LE(SIG_DESCRIPTOR, 0)
  b.writeUInt32LE(crc >>> 0, 4)
  if (zip64) {
    b.writeBigUInt64LE(BigInt(compressedSize), 8)
    b.writeBigUInt64LE(BigInt(size), 16)
  } else {
    b.writeUInt32LE(compressedSize, 8)
    b.writeUInt32LE(size, 12)
  }
  return b
}

/**
 * The central header, name and extra fields (ZIP64 first when needed, then the timestamp), in one buffer. `limit` is
 * the largest value written in a 32-bit field; lowering it lets tests exercise ZIP64 with small files.
 */
export function centralHeader(e: CentralEntry, limit = UINT32_MAX - 1): Buffer {
  const { date, time } = dosDateTime(e.mtimeMs)
  const big: number[] = []
  const size = e.size > limit ? (big.push(e.size), UINT32_MAX) : e.size
  const csize = e.compressedSize > limit ? (big.push(e.compressedSize), UINT32_MAX) : e.compressedSize
  const offset = e.offset > limit ? (big.push(e.offset), UINT32_MAX) : e.offset
  const extraLength = zip64ExtraLength(big.length) + EXTENDED_TIMESTAMP_LENGTH
  // Every byte is written below, so the buffer need not be zeroed first.
  const b = Buffer.allocUnsafe(46 + e.name.length + extraLength)
  b.writeUInt32LE(SIG_CENTRAL, 0)
  b.writeUInt16LE(MADE_BY_UNIX, 4)
  b.writeUInt16LE(big.length > 0 ? VERSION_ZIP64 : VERSION_DEFLATE, 6)
  b.writeUInt16LE(e.flags, 8)
  b.writeUInt16LE(e.method, 10)
  b.writeUInt16LE(time, 12)
  b.writeUInt16LE(date, 14)
  b.writeUInt32LE(e.crc >>> 0, 16)
  b.writeUInt32LE(csize, 20)
  b.writeUInt32LE(size, 24)
  b.writeUInt16LE(e.name.length, 28)
  b.writeUInt16LE(extraLength, 30)
  b.writeUInt16LE(0, 32) // comment length
  b.writeUInt16LE(0, 34) // disk number
  b.writeUInt16LE(0, 36) // internal attributes
  b.writeUInt32LE(externalAttributes(e.kind, e.mode), 38)
  b.writeUInt32LE(offset, 42)
  e.name.copy(b, 46)
  writeExtendedTimestamp(b, writeZip64Extra(b, 46 + e.name.length, big), e.mtimeMs)
  return b
}

/**
 * The end records. The ZIP64 end record and locator are written only when a count, size or offset does not fit the
 * classic record (or `limit` says so), so small archives stay readable by the oldest tools.
 */
export function endOfCentralDirectory(
  entries: number,
  cdOffset: number,
  cdSize: number,
  limit = UINT32_MAX - 1,
  entryLimit = UINT16_MAX - 1
): Buffer {
  const needs64 = entries > entryLimit || cdOffset > limit || cdSize > limit
  const parts: Buffer[] = []
  if (needs64) {
    const rec = Buffer.alloc(56)
    rec.writeUInt32LE(SIG_ZIP64_EOCD, 0)
    rec.writeBigUInt64LE(44n, 4) // size of the rest of this record
    rec.writeUInt16LE(MADE_BY_UNIX, 12)
    rec.writeUInt16LE(VERSION_ZIP64, 14)
    rec.writeUInt32LE(0, 16) // this disk
    rec.writeUInt32LE(0, 20) // disk with the central directory
    rec.writeBigUInt64LE(BigInt(entries), 24)
    rec.writeBigUInt64LE(BigInt(entries), 32)
    rec.writeBigUInt64LE(BigInt(cdSize), 40)
    rec.writeBigUInt64LE(BigInt(cdOffset), 48)
    const loc = Buffer.alloc(20)
    loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0)
    loc.writeUInt32LE(0, 4)
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8) // where the ZIP64 end record starts
    loc.writeUInt32LE(1, 16) // total disks
    parts.push(rec, loc)
  }
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(SIG_EOCD, 0)
  const count = needs64 && entries > entryLimit ? UINT16_MAX : entries
  eocd.writeUInt16LE(count, 8)
  eocd.writeUInt16LE(count, 10)
  eocd.writeUInt32LE(needs64 && cdSize > limit ? UINT32_MAX : cdSize, 12)
  eocd.writeUInt32LE(needs64 && cdOffset > limit ? UINT32_MAX : cdOffset, 16)
  parts.push(eocd)
  return Buffer.concat(parts)
}

/** An empty final fixed-Huffman block: ends a deflate stream made of sync-flushed pieces. */
export const DEFLATE_END = Buffer.from([0x03, 0x00])
