import { Worker } from 'node:worker_threads'
import { XlrBackupError } from '../shared/errors.js'
import { BufferPool } from './buffer-pool.js'
import { SAMPLE } from './compressibility.js'
import { GC_EVERY_BYTES, WORKER_GC_SOURCE } from './gc-hint.js'

/**
 * Worker threads that read, hash and deflate whole small files (in batches, so 20 000 files cost a few hundred
 * messages) and deflate chunks of large files. Measured on this project's bench machine, zlib's asynchronous one-shot
 * API costs ~0.5 ms of overhead per call, which made 20 000 small files take 9 s; synchronous zlib inside workers does
 * the same work in under 1 s per core.
 *
 * The worker's code is a plain JavaScript string run with `eval: true`, so it works unchanged under ts-jest, tsx and
 * the ncc bundle (none of which would agree on the path of a separate worker file).
 */
const WORKER_SOURCE =
  String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const crypto = require('node:crypto')
const S = workerData.sample
const GC_EVERY = workerData.gcEvery
const Z = zlib.constants
let sinceGc = 0
function handled(bytes) {
  sinceGc += bytes
  if (sinceGc >= GC_EVERY) { sinceGc = 0; collectGarbage() }
}
const NOFOLLOW = fs.constants.O_NOFOLLOW || 0
let table = null
function tableCrc(data, prev) {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; table[n] = c >>> 0 }
  }
  let crc = ~prev >>> 0
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8)
  return ~crc >>> 0
}
const crc32 = typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc
const sha256 = typeof crypto.hash === 'function'
  ? data => crypto.hash('sha256', data, 'hex')
  : data => crypto.createHash('sha256').update(data).digest('hex')

// One raw deflater per level, reset between uses and writing straight into the caller's buffer.
// zlib.deflateRawSync builds a stream object and allocates (and frees) ~300 KB of zlib state per call, plus 16 KB
// output pieces that are then concatenated: for 20 000 small files that cost more than the deflating. The handle is
// node's internal binding (stable since node 10); a probe at start-up checks it round-trips, else deflateRawSync.
const engines = new Map()
function engine(level) {
  let e = engines.get(level)
  if (!e) {
    const z = zlib.createDeflateRaw({ level })
    e = { z, handle: z._handle, state: z._writeState, error: null }
    const ref = e
    z.on('error', err => { ref.error = err })
    engines.set(level, e)
  }
  return e
}
// Deflates src into dst[at, at + room) ending with 'flush' (Z_FINISH or Z_SYNC_FLUSH); returns the bytes written,
// or -1 when they do not fit in room (the caller then stores the data).
function fastDeflate(src, level, flush, dst, at, room) {
  if (at + room > dst.length) throw new RangeError('deflate output beyond its buffer')
  const e = engine(level)
  e.handle.reset()
  e.handle.writeSync(flush, src, 0, src.length, dst, at, room)
  if (e.error) { const err = e.error; engines.delete(level); throw err }
  const availOut = e.state[0]
  // zlib has written everything once it returns with output space left over.
  return availOut > 0 ? room - availOut : -1
}
function slowDeflate(src, level, flush, dst, at, room, dictionary) {
  const opts = { level, finishFlush: flush }
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
  fast = !workerData.portable && a > 0 && b > 0 && zlib.inflateRawSync(out.subarray(0, a + b)).equals(probe)
} catch (e) {
  fast = false
}
function deflateInto(src, level, flush, dst, at, room, dictionary) {
  if (room <= 0) return -1
  return fast && !dictionary ? fastDeflate(src, level, flush, dst, at, room) : slowDeflate(src, level, flush, dst, at, room, dictionary)
}
const sampleOut = Buffer.allocUnsafeSlow(S.sliceLength)
function sampleCompresses(data, start) {
  const slice = data.subarray(start, start + S.sliceLength)
  return deflateInto(slice, 1, Z.Z_FINISH, sampleOut, 0, Math.ceil(S.ratio * slice.length)) >= 0
}
// Most bytes segmentedInto writes for n bytes of data: each run (a multiple of S.segment, 64 KiB) stored as
// blocks of at most 65 535 bytes with a 5-byte header; there are at most n / 65 536 + 1 runs.
function storedRoom(n) { return n + 10 * Math.ceil(n / 65535) + 5 }
// Deflates data into dst at 'at' as sync-flushed pieces that concatenate into one raw-deflate stream (no final
// block); returns the bytes written (at most storedRoom(data.length)). Each segment of S.segment bytes is sampled on
// its own, so the random pages of a database file are stored while its text pages are deflated; every deflated run
// is primed with the 32 KiB before it, as one continuous deflate would be. 'deflated' tells whether any run shrank.
function segmentedInto(data, dict, level, dst, at) {
  const runs = []
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
      const before = run.start >= 32768 ? data.subarray(run.start - 32768, run.start)
        : dict || run.start > 0 ? Buffer.concat([dict || Buffer.alloc(0), data.subarray(0, run.start)]).subarray(-32768) : null
      n = deflateInto(part, level, Z.Z_SYNC_FLUSH, dst, o, part.length, before && before.length > 0 ? before : null)
      if (n >= 0) deflated = true
    }
    o += n >= 0 ? n : storedInto(part, dst, o)
  }
  return { length: o - at, deflated }
}
function storedInto(data, dst, at) {
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
let readBuf = Buffer.allocUnsafeSlow(256 * 1024)
// Reads a whole file; 'expected' (lstat's size) sizes the buffer so that a file that did not change is read without
// growing it just to see the end.
function readWhole(path, expected) {
  if (readBuf.length <= expected) readBuf = Buffer.allocUnsafeSlow(expected + 1)
  readBuf = readInto(path, readBuf, 0)
  return readBuf.subarray(0, lastRead)
}
// Reads a whole file into buf at 'at', growing buf (copying what is before 'at') when the file is longer than the
// room left; returns the buffer holding the data, with the byte count in lastRead.
let lastRead = 0
function readInto(path, buf, at) {
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
      if (r === 0) { lastRead = n; return buf }
      n += r
    }
  } finally { fs.closeSync(fd) }
}
const END = Buffer.from([0x03, 0x00])
// Results are built in one buffer per worker, reused (grown when needed), then copied to where the main thread reads
// them (place): building them straight in a buffer sized for the worst case left most of it untouched, yet once
// reused by malloc it all stayed resident (~35 MB a worker).
let outBuf = Buffer.allocUnsafeSlow(256 * 1024)
function outRoom(used, needed) {
  if (outBuf.length - used >= needed) return
  const bigger = Buffer.allocUnsafeSlow(Math.max(outBuf.length * 2, used + needed))
  outBuf.copy(bigger, 0, 0, used)
  outBuf = bigger
}
// Results go into a ring of shared memory when the main thread says it will release each once written
// (workerData.ring): nothing is allocated per result, so nothing waits for a garbage collector, in either thread.
// ringControl[0] is how far (in bytes produced, never wrapping) the main thread has released.
const ring = workerData.ring ? Buffer.from(workerData.ring) : null
const released = workerData.ringControl ? new BigInt64Array(workerData.ringControl) : null
let produced = 0
// Puts outBuf's first n bytes where the main thread can read them: { ring: [offset, length, end] } or a buffer of
// their own to transfer (no ring, or more than it holds).
function place(n) {
  // More than half the ring could need more room than the ring has once the tail is skipped: it gets its own.
  if (!ring || n > ring.length / 2) {
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
function files(msg) {
  const results = []
  let total = 0
  for (const job of msg.jobs) {
    try {
      if (job.store || msg.level === 0) {
        // Stored as is: read straight into the result, so the data is copied once (into the message) at most.
        outRoom(total, job.size + 1)
        outBuf = readInto(job.path, outBuf, total)
        const n = lastRead
        const data = outBuf.subarray(total, total + n)
        handled(n)
        results.push({ ok: true, sha256: sha256(data), crc: crc32(data, 0), size: n, method: 0, offset: total, length: n })
        total += n
        continue
      }
      const data = readWhole(job.path, job.size)
      handled(data.length)
      const r = { ok: true, sha256: sha256(data), crc: crc32(data, 0), size: data.length, method: 0 }
      outRoom(total, storedRoom(data.length) + END.length)
      let n = -1
      if (!job.store && msg.level > 0 && data.length > 0) {
        if (data.length < S.minLength) {
          n = deflateInto(data, msg.level, Z.Z_FINISH, outBuf, total, data.length, null)
        } else {
          const s = segmentedInto(data, null, msg.level, outBuf, total)
          if (s.deflated && s.length + END.length < data.length) {
            END.copy(outBuf, total + s.length)
            n = s.length + END.length
          }
        }
      }
      if (n >= 0) r.method = 8
      else n = data.copy(outBuf, total)
      r.offset = total
      r.length = n
      total += n
      results.push(r)
    } catch (e) {
      results.push({ ok: false, code: e && e.code, message: String(e && e.message || e) })
    }
  }
  const placed = place(total)
  parentPort.postMessage({ seq: msg.seq, results, data: placed.out, ring: placed.ring }, placed.out ? [placed.out.buffer] : [])
}
function chunk(msg) {
  const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
  handled(data.length)
  const dict = msg.dict ? Buffer.from(msg.dict.buffer, msg.dict.byteOffset, msg.dict.byteLength) : null
  outRoom(0, storedRoom(data.length))
  const n = msg.level > 0 ? segmentedInto(data, dict, msg.level, outBuf, 0).length : storedInto(data, outBuf, 0)
  const placed = place(n)
  // The input goes back too, for the main thread to read the next piece into.
  const transfer = placed.out ? [placed.out.buffer, msg.data.buffer] : [msg.data.buffer]
  parentPort.postMessage({ seq: msg.seq, data: placed.out, ring: placed.ring, input: msg.data }, transfer)
}
parentPort.on('message', (msg) => {
  try {
    if (msg.type === 'files') files(msg)
    else if (msg.type === 'probe') parentPort.postMessage({ seq: msg.seq, fast })
    else chunk(msg)
  } catch (e) {
    parentPort.postMessage({ seq: msg.seq, error: String(e && e.stack || e) })
  }
})
` + WORKER_GC_SOURCE

export interface FileJob {
  path: string
  /** Bytes as the walker saw them; sizes the batch. */
  size: number
  /** Store without trying to deflate (the name says it is already compressed). */
  store: boolean
}

export interface FileResult {
  sha256: string
  crc: number
  size: number
  method: number
  data: Buffer
  /**
   * Call once nothing holds `data` any more (it is in the file): its memory goes back to the worker for a later
   * result. With a results ring (`ringBytes` > 0) every result must be released, or its worker ends up waiting for
   * room; without one it does nothing.
   */
  release?: () => void
}

/** A deflated piece of a large file; `release` as for FileResult. */
export interface ChunkResult {
  data: Buffer
  release: () => void
}

interface WorkerResultMessage {
  seq: number
  error?: string
  results?: (
    | {
        ok: true
        sha256: string
        crc: number
        size: number
        method: number
        offset: number
        length: number
      }
    | { ok: false; code?: string; message: string }
  )[]
  /** The result, in a buffer of its own (no ring, or too big for it). */
  data?: Uint8Array
  /** The result, in the worker's ring: offset there, length, and where it ends in bytes produced. */
  ring?: [number, number, number]
  /** A chunk's input, handed back for the next read. */
  input?: Uint8Array
  /** Answer to a probe: whether the worker deflates through node's zlib handle. */
  fast?: boolean
}

/** A worker's result as the main thread sees it: the bytes, and how to give them back once written. */
interface Placed {
  view: Buffer
  release: () => void
}

interface Pending {
  worker: PoolWorker
  bytes: number
  resolve: (msg: WorkerResultMessage & { placed: Placed | null }) => void
  reject: (error: Error) => void
}

interface PoolWorker {
  worker: Worker
  inFlightBytes: number
  inFlight: number
  ring: Ring | null
}

/**
 * A worker's results ring (shared memory). Results are released in any order (a small entry is copied out before
 * the big one ahead of it is written); the worker may reuse the memory up to the first result not yet released.
 */
class Ring {
  readonly buffer: SharedArrayBuffer
  readonly control = new SharedArrayBuffer(8)
  private readonly released = new BigInt64Array(this.control)
  private readonly outstanding: { end: number; done: boolean }[] = []
  private head = 0
  placed = 0

  constructor(bytes: number) {
    this.buffer = new SharedArrayBuffer(bytes)
  }

  /** Registers a result in the order the worker produced it. */
  take(offset: number, length: number, end: number): Placed {
    const entry = { end, done: false }
    this.outstanding.push(entry)
    this.placed++
    return {
      view: Buffer.from(this.buffer, offset, length),
      release: once(() => {
        entry.done = true
        this.advance()
      })
    }
  }

  private advance(): void {
    let upTo = -1
    while (this.head < this.outstanding.length && this.outstanding[this.head].done) {
      upTo = this.outstanding[this.head++].end
    }
    if (upTo < 0) return
    if (this.head > 1024) {
      this.outstanding.splice(0, this.head)
      this.head = 0
    }
    Atomics.store(this.released, 0, BigInt(upTo))
    Atomics.notify(this.released, 0)
  }
}

/** Small files are grouped until a batch holds this many files or bytes. */
const BATCH_FILES = 128
const BATCH_BYTES = 2 * 1024 * 1024
/** Chunk buffers kept for reuse: more than the writer's 8 MiB read-ahead holds, so steady state allocates none. */
const SPARE_CHUNKS = 12

export class DeflatePool {
  private readonly workers: PoolWorker[] = []
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private batch: { job: FileJob; resolve: (r: FileResult) => void; reject: (e: Error) => void }[] = []
  private batchBytes = 0
  private flushScheduled = false
  private failure: Error | null = null
  /** Buffers the large-file pieces were read into, handed back by the workers; made on the first piece. */
  private pieceBuffers: BufferPool | null = null

  constructor(
    private readonly threads: number,
    private readonly level: number,
    /** Tests only: use zlib's public one-shot API in the workers, as when node's internal handle is not usable. */
    private readonly portable = false,
    /**
     * Bytes of shared memory per worker for results, or 0 for a buffer per result. With a ring, the caller must
     * call every result's `release` once it is done with the bytes: a worker whose ring is full waits for that.
     */
    private readonly ringBytes = 0
  ) {}

  /** Whether the workers deflate through node's zlib handle (false: the public one-shot API). */
  usesZlibHandle(): Promise<boolean> {
    return this.send({ type: 'probe' }, 0, []).then(msg => msg.fast === true)
  }

  /**
   * A buffer of `size` bytes to read the next piece of a large file into, for `chunk`: one that came back from a
   * worker when there is one. Fresh memory costs a page fault per 4 KiB, which on the bench machine made allocating
   * cost more than hashing the data.
   */
  chunkBuffer(size: number): Buffer {
    this.pieceBuffers ??= new BufferPool(size, SPARE_CHUNKS)
    return size === this.pieceBuffers.size ? this.pieceBuffers.take() : Buffer.allocUnsafeSlow(size)
  }

  /** Reads, hashes and (unless `store`) deflates one whole file in a worker. */
  file(job: FileJob): Promise<FileResult> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.batch.push({ job, resolve, reject })
      this.batchBytes += job.size
      if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush()
      else if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /**
   * Deflates one piece of a large file so that pieces concatenate into one raw-deflate stream: each ends with a sync
   * flush (byte-aligned, not final), and `dictionary` (the 32 KiB before the piece) keeps the ratio close to a
   * single-stream deflate. Random-looking pieces become stored blocks. `data` must own its ArrayBuffer: it is
   * transferred to the worker, not copied.
   */
  chunk(data: Buffer, dictionary: Buffer | null): Promise<ChunkResult> {
    if (this.failure) return Promise.reject(this.failure)
    return this.send({ type: 'chunk', data, dict: dictionary, level: this.level }, data.length, [
      data.buffer as ArrayBuffer
    ]).then(msg => {
      if (msg.input) this.pieceBuffers?.give(Buffer.from(msg.input.buffer, 0, msg.input.buffer.byteLength))
      const placed = msg.placed!
      return { data: placed.view, release: placed.release }
    })
  }

  /** Results the workers put in their rings so far (for tests and profiling). */
  get ringResults(): number {
    return this.workers.reduce((n, w) => n + (w.ring?.placed ?? 0), 0)
  }

  /** Sends the files waiting in the current batch; called before the producer waits, so nothing sits idle. */
  flush(): void {
    this.flushScheduled = false
    if (this.batch.length === 0 || this.failure) return
    const batch = this.batch
    const bytes = this.batchBytes
    this.batch = []
    this.batchBytes = 0
    const jobs = batch.map(b => ({ path: b.job.path, size: b.job.size, store: b.job.store }))
    this.send({ type: 'files', jobs, level: this.level }, bytes, []).then(
      msg => {
        const { view: data, release: releaseAll } = msg.placed!
        // The batch's files share one result: it goes back once every one of them has been written.
        let holders = msg.results!.filter(r => r.ok).length
        if (holders === 0) releaseAll()
        const release = (): void => {
          if (--holders === 0) releaseAll()
        }
        msg.results!.forEach((r, i) => {
          const { job, resolve, reject } = batch[i]
          if (r.ok) {
            resolve({
              sha256: r.sha256,
              crc: r.crc,
              size: r.size,
              method: r.method,
              data: data.subarray(r.offset, r.offset + r.length),
              release: once(release)
            })
          } else {
            reject(
              new XlrBackupError(
                `Cannot read ${job.path}: ${r.code ?? ''} ${r.message}. Check the file's permissions, or exclude it.`.replace(
                  /: {2}/,
                  ': '
                )
              )
            )
          }
        })
      },
      (error: Error) => batch.forEach(b => b.reject(error))
    )
  }

  private send(
    message: Record<string, unknown>,
    bytes: number,
    transfer: ArrayBuffer[]
  ): Promise<WorkerResultMessage & { placed: Placed | null }> {
    const w = this.pick()
    const seq = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { worker: w, bytes, resolve, reject })
      w.inFlight++
      w.inFlightBytes += bytes
      if (w.inFlight === 1) w.worker.ref()
      w.worker.postMessage({ ...message, seq }, transfer)
    })
  }

  private pick(): PoolWorker {
    if (this.workers.length < this.threads) {
      const idle = this.workers.find(w => w.inFlight === 0)
      if (idle) return idle
      return this.spawn()
    }
    return this.workers.reduce((a, b) => (b.inFlightBytes < a.inFlightBytes ? b : a))
  }

  private spawn(): PoolWorker {
    const ring = this.ringBytes > 0 ? new Ring(this.ringBytes) : null
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        sample: SAMPLE,
        gcEvery: GC_EVERY_BYTES,
        portable: this.portable,
        ring: ring?.buffer,
        ringControl: ring?.control
      }
    })
    const w: PoolWorker = { worker, inFlight: 0, inFlightBytes: 0, ring }
    worker.on('message', (msg: WorkerResultMessage) => {
      const p = this.pending.get(msg.seq)
      if (!p) return
      this.pending.delete(msg.seq)
      w.inFlight--
      w.inFlightBytes -= p.bytes
      if (w.inFlight === 0) worker.unref()
      // Taken here, in the order the worker produced them, so the ring is released in that order.
      let placed: Placed | null = null
      if (msg.ring && ring) placed = ring.take(...msg.ring)
      else if (msg.data) placed = { view: asBuffer(msg.data), release: () => undefined }
      if (msg.error) p.reject(new XlrBackupError(`A compression worker failed: ${msg.error}`))
      else p.resolve({ ...msg, placed })
    })
    worker.on('error', error =>
      this.destroy(new XlrBackupError(`A compression worker failed: ${error.message}`, { cause: error }))
    )
    worker.on('exit', code => {
      if (this.failure === null && code !== 0 && this.pending.size > 0) {
        this.destroy(new XlrBackupError(`A compression worker exited with code ${code}.`))
      }
    })
    worker.unref()
    this.workers.push(w)
    return w
  }

  /** Stops every worker; whatever is still queued or in flight is rejected with `reason`. */
  destroy(reason: Error): void {
    if (this.failure) return
    this.failure = reason
    for (const p of this.pending.values()) p.reject(reason)
    this.pending.clear()
    for (const b of this.batch) b.reject(reason)
    this.batch = []
    for (const w of this.workers) void w.worker.terminate()
  }

  async close(): Promise<void> {
    this.failure ??= new XlrBackupError('The compression pool was closed.')
    await Promise.all(this.workers.map(w => w.worker.terminate()))
  }
}

/** `release` may be called once per result; a second call would hand the shared buffer back too early. */
function once(fn: () => void): () => void {
  let called = false
  return () => {
    if (called) return
    called = true
    fn()
  }
}

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
}
