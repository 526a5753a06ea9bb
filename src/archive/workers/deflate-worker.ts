/**
 * The deflate pool's worker thread (see deflate-pool.ts): reads, hashes and deflates whole small files in batches, and
 * deflates pieces of large files. Bundled by scripts/build-workers.ts into generated/deflate-worker-source.ts, which
 * the pool runs with `eval: true`; nothing imports this module directly.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import zlib from 'node:zlib'
import { SAMPLE } from '../compressibility.js'
import { crc32 } from '../../zip/crc32.js'
import { collectYoungGarbage, GC_EVERY_BYTES } from '../gc-hint.js'
import type { DeflateRequest, DeflateResponse, DeflateWorkerData, FileOutcome } from './deflate-protocol.js'

const data = workerData as DeflateWorkerData
const port = parentPort!
const S = SAMPLE
const Z = zlib.constants
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0

let sinceGc = 0
function handled(bytes: number): void {
  sinceGc += bytes
  if (sinceGc >= GC_EVERY_BYTES) {
    sinceGc = 0
    collectYoungGarbage()
  }
}

const sha256: (data: Buffer) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? d => crypto.hash('sha256', d, 'hex')
    : d => crypto.createHash('sha256').update(d).digest('hex')

/** node's internal zlib binding behind a DeflateRaw stream (stable since node 10), as far as it is used here. */
interface ZlibHandle {
  reset(): void
  writeSync(
    flush: number,
    src: Buffer,
    srcAt: number,
    srcLength: number,
    dst: Buffer,
    dstAt: number,
    room: number
  ): void
}
interface Engine {
  handle: ZlibHandle
  /** [availOut, availIn] after the last write. */
  state: Uint32Array
  error: Error | null
}

// One raw deflater per level, reset between uses and writing straight into the caller's buffer.
// zlib.deflateRawSync builds a stream object and allocates (and frees) ~300 KB of zlib state per call, plus 16 KB
// output pieces that are then concatenated: for 20 000 small files that cost more than the deflating. A probe at
// start-up checks the internal handle round-trips, else deflateRawSync is used.
const engines = new Map<number, Engine>()
function engine(level: number): Engine {
  let e = engines.get(level)
  if (!e) {
    const z = zlib.createDeflateRaw({ level }) as zlib.DeflateRaw & { _handle: ZlibHandle; _writeState: Uint32Array }
    const ref: Engine = { handle: z._handle, state: z._writeState, error: null }
    z.on('error', err => {
      ref.error = err
    })
    engines.set(level, ref)
    e = ref
  }
  return e
}

/**
 * Deflates src into dst[at, at + room) ending with `flush` (Z_FINISH or Z_SYNC_FLUSH); returns the bytes written, or
 * -1 when they do not fit in room (the caller then stores the data).
 */
function fastDeflate(src: Buffer, level: number, flush: number, dst: Buffer, at: number, room: number): number {
  if (at + room > dst.length) throw new RangeError('deflate output beyond its buffer')
  const e = engine(level)
  e.handle.reset()
  e.handle.writeSync(flush, src, 0, src.length, dst, at, room)
  if (e.error) {
    const err = e.error
    engines.delete(level)
    throw err
  }
  const availOut = e.state[0]
  // zlib has written everything once it returns with output space left over.
  return availOut > 0 ? room - availOut : -1
}

function slowDeflate(
  src: Buffer,
  level: number,
  flush: number,
  dst: Buffer,
  at: number,
  room: number,
  dictionary: Buffer | null
): number {
  const opts: zlib.ZlibOptions = { level, finishFlush: flush }
  if (dictionary) opts.dictionary = dictionary
  const d = zlib.deflateRawSync(src, opts)
  if (d.length >= room) return -1
  d.copy(dst, at)
  return d.length
}

let fast = false
try {
  const probe = Buffer.from('xlr-backup deflate probe, '.repeat(200))
  const out = Buffer.alloc(probe.length)
  const a = fastDeflate(probe.subarray(0, 2600), 6, Z.Z_SYNC_FLUSH, out, 0, out.length)
  const b = fastDeflate(probe.subarray(2600), 1, Z.Z_FINISH, out, a, out.length - a)
  fast = !data.portable && a > 0 && b > 0 && zlib.inflateRawSync(out.subarray(0, a + b)).equals(probe)
} catch {
  fast = false
}

function deflateInto(
  src: Buffer,
  level: number,
  flush: number,
  dst: Buffer,
  at: number,
  room: number,
  dictionary: Buffer | null
): number {
  if (room <= 0) return -1
  return fast && !dictionary
    ? fastDeflate(src, level, flush, dst, at, room)
    : slowDeflate(src, level, flush, dst, at, room, dictionary)
}

const sampleOut = Buffer.allocUnsafeSlow(S.sliceLength)
function sampleCompresses(data: Buffer, start: number): boolean {
  const slice = data.subarray(start, start + S.sliceLength)
  return deflateInto(slice, 1, Z.Z_FINISH, sampleOut, 0, Math.ceil(S.ratio * slice.length), null) >= 0
}

/**
 * Most bytes segmentedInto writes for n bytes of data: each run (a multiple of S.segment, 64 KiB) stored as blocks of
 * at most 65 535 bytes with a 5-byte header; there are at most n / 65 536 + 1 runs.
 */
function storedRoom(n: number): number {
  return n + 10 * Math.ceil(n / 65535) + 5
}

/**
 * Deflates data into dst at `at` as sync-flushed pieces that concatenate into one raw-deflate stream (no final
 * block); returns the bytes written (at most storedRoom(data.length)). Each segment of S.segment bytes is sampled on
 * its own, so the random pages of a database file are stored while its text pages are deflated; every deflated run
 * is primed with the 32 KiB before it, as one continuous deflate would be. `deflated` tells whether any run shrank.
 */
function segmentedInto(
  data: Buffer,
  dict: Buffer | null,
  level: number,
  dst: Buffer,
  at: number
): { length: number; deflated: boolean } {
  const runs: { start: number; end: number; packs: boolean }[] = []
  for (let p = 0; p < data.length; p += S.segment) {
    const end = Math.min(data.length, p + S.segment)
    const seg = data.subarray(p, end)
    const packs = seg.length < S.sliceLength * 2 || sampleCompresses(seg, (seg.length - S.sliceLength) >> 1)
    const last = runs[runs.length - 1]
    if (last && last.packs === packs) last.end = end
    else runs.push({ start: p, end, packs })
  }
  let o = at
  let deflated = false
  for (const run of runs) {
    const part = data.subarray(run.start, run.end)
    let n = -1
    if (run.packs) {
      const before =
        run.start >= 32768
          ? data.subarray(run.start - 32768, run.start)
          : dict || run.start > 0
            ? Buffer.concat([dict ?? Buffer.alloc(0), data.subarray(0, run.start)]).subarray(-32768)
            : null
      n = deflateInto(part, level, Z.Z_SYNC_FLUSH, dst, o, part.length, before && before.length > 0 ? before : null)
      if (n >= 0) deflated = true
    }
    o += n >= 0 ? n : storedInto(part, dst, o)
  }
  return { length: o - at, deflated }
}

function storedInto(data: Buffer, dst: Buffer, at: number): number {
  let o = at
  let p = 0
  do {
    const len = Math.min(65535, data.length - p)
    dst[o] = 0
    dst.writeUInt16LE(len, o + 1)
    dst.writeUInt16LE(~len & 0xffff, o + 3)
    data.copy(dst, o + 5, p, p + len)
    o += 5 + len
    p += len
  } while (p < data.length)
  return o - at
}

// Files are read into one buffer per worker, reused (grown when needed): fresh memory costs a page fault per 4 KiB.
let readBuf: Buffer = Buffer.allocUnsafeSlow(256 * 1024)
/**
 * Reads a whole file; `expected` (lstat's size) sizes the buffer so that a file that did not change is read without
 * growing it just to see the end.
 */
function readWhole(path: string, expected: number): Buffer {
  if (readBuf.length <= expected) readBuf = Buffer.allocUnsafeSlow(expected + 1)
  readBuf = readInto(path, readBuf, 0)
  return readBuf.subarray(0, lastRead)
}

let lastRead = 0
/**
 * Reads a whole file into buf at `at`, growing buf (copying what is before `at`) when the file is longer than the
 * room left; returns the buffer holding the data, with the byte count in lastRead.
 */
function readInto(path: string, buf: Buffer, at: number): Buffer {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | NOFOLLOW)
  try {
    let n = 0
    for (;;) {
      if (at + n === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2)
        buf.copy(bigger, 0, 0, at + n)
        buf = bigger
      }
      const r = fs.readSync(fd, buf, at + n, buf.length - at - n, null)
      if (r === 0) {
        lastRead = n
        return buf
      }
      n += r
    }
  } finally {
    fs.closeSync(fd)
  }
}

const END = Buffer.from([0x03, 0x00])
// Results are built in one buffer per worker, reused (grown when needed), then copied to where the main thread reads
// them (place): building them straight in a buffer sized for the worst case left most of it untouched, yet once
// reused by malloc it all stayed resident (~35 MB a worker).
let outBuf: Buffer = Buffer.allocUnsafeSlow(256 * 1024)
function outRoom(used: number, needed: number): void {
  if (outBuf.length - used >= needed) return
  const bigger = Buffer.allocUnsafeSlow(Math.max(outBuf.length * 2, used + needed))
  outBuf.copy(bigger, 0, 0, used)
  outBuf = bigger
}

// Results go into a ring of shared memory when the main thread says it will release each once written
// (workerData.ring): nothing is allocated per result, so nothing waits for a garbage collector, in either thread.
const ring = data.ring ? Buffer.from(data.ring) : null
const released = data.ringControl ? new BigInt64Array(data.ringControl) : null
let produced = 0

/**
 * Puts outBuf's first n bytes where the main thread can read them: in the ring, or in a buffer of their own to
 * transfer (no ring, or more than it holds).
 */
function place(n: number): { out?: Buffer; ring?: [number, number, number] } {
  // More than half the ring could need more room than the ring has once the tail is skipped: it gets its own.
  if (!ring || !released || n > ring.length / 2) {
    const out = Buffer.allocUnsafeSlow(n)
    outBuf.copy(out, 0, 0, n)
    return { out }
  }
  let start = produced
  const offset = start % ring.length
  // A result is contiguous: skip the ring's tail when it does not fit there.
  if (offset + n > ring.length) start += ring.length - offset
  const end = start + n
  for (;;) {
    const done = Atomics.load(released, 0)
    if (Number(done) >= end - ring.length) break
    Atomics.wait(released, 0, done, 100)
  }
  produced = end
  outBuf.copy(ring, start % ring.length, 0, n)
  return { ring: [start % ring.length, n, end] }
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code
}

function errorText(e: unknown): string {
  return String((e as Error | null)?.message || e)
}

function files(msg: Extract<DeflateRequest, { type: 'files' }>): void {
  const results: FileOutcome[] = []
  let total = 0
  for (const job of msg.jobs) {
    try {
      if (job.store || msg.level === 0) {
        // Stored as is: read straight into the result, so the data is copied once (into the message) at most.
        outRoom(total, job.size + 1)
        outBuf = readInto(job.path, outBuf, total)
        const n = lastRead
        const content = outBuf.subarray(total, total + n)
        handled(n)
        results.push({
          ok: true,
          sha256: sha256(content),
          crc: crc32(content, 0),
          size: n,
          method: 0,
          offset: total,
          length: n
        })
        total += n
        continue
      }
      const content = readWhole(job.path, job.size)
      handled(content.length)
      const sha = sha256(content)
      const crc = crc32(content, 0)
      outRoom(total, storedRoom(content.length) + END.length)
      let n = -1
      if (content.length > 0) {
        if (content.length < S.minLength) {
          n = deflateInto(content, msg.level, Z.Z_FINISH, outBuf, total, content.length, null)
        } else {
          const s = segmentedInto(content, null, msg.level, outBuf, total)
          if (s.deflated && s.length + END.length < content.length) {
            END.copy(outBuf, total + s.length)
            n = s.length + END.length
          }
        }
      }
      let method = 0
      if (n >= 0) method = 8
      else n = content.copy(outBuf, total)
      results.push({ ok: true, sha256: sha, crc, size: content.length, method, offset: total, length: n })
      total += n
    } catch (e) {
      results.push({ ok: false, code: errorCode(e), message: errorText(e) })
    }
  }
  const placed = place(total)
  const reply: DeflateResponse = { seq: msg.seq, results, data: placed.out, ring: placed.ring }
  port.postMessage(reply, placed.out ? [placed.out.buffer as ArrayBuffer] : [])
}

function chunk(msg: Extract<DeflateRequest, { type: 'chunk' }>): void {
  const input = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
  handled(input.length)
  const dict = msg.dict ? Buffer.from(msg.dict.buffer, msg.dict.byteOffset, msg.dict.byteLength) : null
  outRoom(0, storedRoom(input.length))
  const n = msg.level > 0 ? segmentedInto(input, dict, msg.level, outBuf, 0).length : storedInto(input, outBuf, 0)
  const placed = place(n)
  // The input goes back too, for the main thread to read the next piece into.
  const transfer = (placed.out ? [placed.out.buffer, msg.data.buffer] : [msg.data.buffer]) as ArrayBuffer[]
  const reply: DeflateResponse = { seq: msg.seq, data: placed.out, ring: placed.ring, input: msg.data }
  port.postMessage(reply, transfer)
}

port.on('message', (msg: DeflateRequest) => {
  try {
    if (msg.type === 'files') files(msg)
    else if (msg.type === 'probe') port.postMessage({ seq: msg.seq, fast } satisfies DeflateResponse)
    else chunk(msg)
  } catch (e) {
    port.postMessage({ seq: msg.seq, error: String((e as Error | null)?.stack || e) } satisfies DeflateResponse)
  }
})
