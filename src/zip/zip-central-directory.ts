import type { FileHandle } from 'node:fs/promises'
import { IntegrityError } from '../shared/errors.js'
import { SIG_CENTRAL, SIG_EOCD, SIG_LOCAL, SIG_ZIP64_EOCD, SIG_ZIP64_LOCATOR } from './zip-format.js'

/** One record of a ZIP's central directory, as stored (nothing here is trusted yet). */
export interface CentralDirectoryRecord {
  name: string
  /** Upper byte of "version made by": the host (HOST_UNIX: the external attributes carry st_mode). */
  madeBy: number
  flags: number
  method: number
  crc32: number
  compressedSize: number
  size: number
  localHeaderOffset: number
  externalAttributes: number
}

const EOCD_SIZE = 22
const MAX_COMMENT = 0xffff
/** The central directory is read whole: ~100 bytes an entry, so this allows millions of entries and no more. */
const MAX_CENTRAL_DIRECTORY = 1024 * 1024 * 1024
/**
 * Entries a backup may hold: far beyond a real server home (hundreds of thousands of files), and a bound on the
 * memory and work opening a forged one costs before its manifest is even read.
 */
export const MAX_ENTRIES = 5_000_000
/** The fixed part of a central directory record: a count claiming more records than fit is a lie. */
const CENTRAL_RECORD_SIZE = 46
const AGE_HEADER = 'age-encryption.org/'

const utf8 = new TextDecoder('utf-8', { fatal: true })

export async function readAt(fd: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await fd.read(buffer, filled, length - filled, position + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled === length ? buffer : buffer.subarray(0, filled)
}

function notAZip(file: string, detail: string): IntegrityError {
  return new IntegrityError(
    `not a ZIP file: ${file} (${detail}) — is this an xlr-backup backup? (an encrypted .zip.age must be decrypted first)`
  )
}

/**
 * Finds the end-of-central-directory record (ZIP64 aware) and returns every central directory record, after checking
 * that the directory lies inside the file. A truncated download is told apart from a file that is no ZIP at all.
 */
export async function readCentralDirectory(
  fd: FileHandle,
  file: string,
  fileSize: number
): Promise<CentralDirectoryRecord[]> {
  const head = await readAt(fd, 0, Math.min(fileSize, 64))
  if (head.toString('latin1').startsWith(AGE_HEADER)) {
    throw notAZip(file, 'it is age-encrypted')
  }
  const startsLikeZip = head.length >= 4 && head.readUInt32LE(0) === SIG_LOCAL
  const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT)
  const tail = await readAt(fd, fileSize - tailLength, tailLength)
  let eocd = -1
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
      eocd = i
      break
    }
  }
  if (eocd < 0) {
    if (startsLikeZip) {
      throw new IntegrityError(
        `the backup ${file} is truncated or damaged: it starts like a ZIP but has no end-of-central-directory record ` +
          `(an interrupted upload or download?) — fetch it again or use another backup`
      )
    }
    throw notAZip(file, fileSize === 0 ? 'it is empty' : 'no ZIP signature')
  }
  const eocdPosition = fileSize - tailLength + eocd
  let count = tail.readUInt16LE(eocd + 10)
  let cdSize = tail.readUInt32LE(eocd + 12)
  let cdOffset = tail.readUInt32LE(eocd + 16)
  let cdEnd = eocdPosition
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocd < 20 || tail.readUInt32LE(eocd - 20) !== SIG_ZIP64_LOCATOR) {
      throw damaged(file, 'the ZIP64 end-of-central-directory locator is missing')
    }
    const eocd64Position = readUInt64(tail, eocd - 20 + 8, file)
    const eocd64 = await readAt(fd, eocd64Position, 56)
    if (eocd64.length < 56 || eocd64.readUInt32LE(0) !== SIG_ZIP64_EOCD) {
      throw damaged(file, 'the ZIP64 end-of-central-directory record is missing')
    }
    count = readUInt64(eocd64, 32, file)
    cdSize = readUInt64(eocd64, 40, file)
    cdOffset = readUInt64(eocd64, 48, file)
    cdEnd = eocd64Position
  }
  if (cdOffset + cdSize > cdEnd) {
    throw damaged(file, `the central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end record`)
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY)
    throw damaged(file, `the central directory is implausibly large (${cdSize} bytes)`)
  if (count > MAX_ENTRIES) {
    throw new IntegrityError(
      `the backup ${file} is refused: it claims ${count} entries, more than the ${MAX_ENTRIES} a backup may hold — ` +
        'this backup was not made by xlr-backup or was altered: do not restore it'
    )
  }
  if (count * CENTRAL_RECORD_SIZE > cdSize) {
    throw damaged(file, `the end record claims ${count} entries, more than its ${cdSize}-byte central directory holds`)
  }
  const cd = await readAt(fd, cdOffset, cdSize)
  if (cd.length !== cdSize) throw damaged(file, 'the central directory is cut short')
  return parseRecords(cd, count, file)
}

function damaged(file: string, detail: string): IntegrityError {
  return new IntegrityError(`the backup ${file} is damaged: ${detail} — use another backup`)
}

function readUInt64(buffer: Buffer, offset: number, file: string): number {
  const value = buffer.readBigUInt64LE(offset)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged(file, `a ZIP64 field holds an impossible value ${value}`)
  return Number(value)
}

function parseRecords(cd: Buffer, count: number, file: string): CentralDirectoryRecord[] {
  const records: CentralDirectoryRecord[] = []
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) {
      throw damaged(file, `central directory record ${i + 1} of ${count} is malformed`)
    }
    const nameLength = cd.readUInt16LE(p + 28)
    const extraLength = cd.readUInt16LE(p + 30)
    const commentLength = cd.readUInt16LE(p + 32)
    const end = p + 46 + nameLength + extraLength + commentLength
    if (end > cd.length) throw damaged(file, `central directory record ${i + 1} of ${count} runs past the directory`)
    let name: string
    try {
      name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLength))
    } catch {
      throw damaged(file, `the name of entry ${i + 1} is not valid UTF-8`)
    }
    const record: CentralDirectoryRecord = {
      name,
      madeBy: cd.readUInt8(p + 5),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      externalAttributes: cd.readUInt32LE(p + 38)
    }
    applyZip64(record, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), file)
    records.push(record)
    p = end
  }
  return records
}

/** Sizes and offsets too big for 32 bits are 0xFFFFFFFF in the record and live in the ZIP64 extra field (0x0001). */
function applyZip64(record: CentralDirectoryRecord, extra: Buffer, file: string): void {
  const needs =
    record.size === 0xffffffff || record.compressedSize === 0xffffffff || record.localHeaderOffset === 0xffffffff
  if (!needs) return
  let p = 0
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p)
    const length = extra.readUInt16LE(p + 2)
    if (id === 0x0001) {
      const field = extra.subarray(p + 4, p + 4 + length)
      let q = 0
      const next = (): number => {
        if (q + 8 > field.length) throw damaged(file, `the ZIP64 field of ${record.name} is too short`)
        const value = readUInt64(field, q, file)
        q += 8
        return value
      }
      if (record.size === 0xffffffff) record.size = next()
      if (record.compressedSize === 0xffffffff) record.compressedSize = next()
      if (record.localHeaderOffset === 0xffffffff) record.localHeaderOffset = next()
      return
    }
    p += 4 + length
  }
  throw damaged(file, `${record.name} has 32-bit overflow markers but no ZIP64 field`)
}
