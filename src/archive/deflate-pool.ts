import { Worker } from 'node:worker_threads'
import { XlrBackupError } from '../shared/errors.js'
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
function sampleCompresses(data, start) {
  const slice = data.subarray(start, start + S.sliceLength)
  return zlib.deflateRawSync(slice, { level: 1 }).length < S.ratio * slice.length
}
function compressible(data) {
  if (data.length < S.minLength) return true
  const step = Math.floor(data.length / (S.slices + 1))
  for (let i = 1; i <= S.slices; i++) {
    if (sampleCompresses(data, Math.min(i * step, data.length - S.sliceLength))) return true
  }
  return false
}
// Deflates data as sync-flushed pieces that concatenate into one raw-deflate stream (no final block). Each segment of
// S.segment bytes is sampled on its own, so the random pages of a database file are stored while its text pages
// are deflated; every deflated run is primed with the 32 KiB before it, as one continuous deflate would be.
function segmented(data, dict, level) {
  const runs = []
  for (let p = 0; p < data.length; p += S.segment) {
    const end = Math.min(data.length, p + S.segment)
    const seg = data.subarray(p, end)
    const packs = seg.length < S.sliceLength * 2 || sampleCompresses(seg, (seg.length - S.sliceLength) >> 1)
    const last = runs[runs.length - 1]
    if (last && last.packs === packs) last.end = end
    else runs.push({ start: p, end, packs })
  }
  const pieces = []
  let deflated = false
  for (const run of runs) {
    const part = data.subarray(run.start, run.end)
    let out = null
    if (run.packs) {
      const opts = { level, finishFlush: zlib.constants.Z_SYNC_FLUSH }
      const before = run.start >= 32768 ? data.subarray(run.start - 32768, run.start)
        : dict || run.start > 0 ? Buffer.concat([dict || Buffer.alloc(0), data.subarray(0, run.start)]).subarray(-32768) : null
      if (before && before.length > 0) opts.dictionary = before
      const d = zlib.deflateRawSync(part, opts)
      if (d.length < part.length) { out = d; deflated = true }
    }
    pieces.push(out || storedBlocks(part))
  }
  return { pieces, deflated }
}
function storedBlocks(data) {
  const n = Math.max(1, Math.ceil(data.length / 65535))
  const out = Buffer.allocUnsafeSlow(data.length + 5 * n)
  let o = 0
  let p = 0
  do {
    const len = Math.min(65535, data.length - p)
    out[o] = 0
    out.writeUInt16LE(len, o + 1)
    out.writeUInt16LE(~len & 0xffff, o + 3)
    data.copy(out, o + 5, p, p + len)
    o += 5 + len
    p += len
  } while (p < data.length)
  return out
}
function readWhole(path) {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | NOFOLLOW)
  try { return fs.readFileSync(fd) } finally { fs.closeSync(fd) }
}
const END = Buffer.from([0x03, 0x00])
function owns(b) { return b.byteOffset === 0 && b.buffer.byteLength === b.length && b.length >= 65536 }
function files(msg) {
  const results = []
  const small = []
  const transfer = []
  const own = []
  let total = 0
  for (const job of msg.jobs) {
    try {
      const data = readWhole(job.path)
      handled(data.length)
      const sha256 = crypto.createHash('sha256').update(data).digest('hex')
      const crc = crc32(data, 0)
      let out = data
      let method = 0
      if (!job.store && msg.level > 0 && data.length > 0) {
        if (data.length < S.minLength) {
          const d = zlib.deflateRawSync(data, { level: msg.level })
          if (d.length < data.length) { out = d; method = 8 }
        } else {
          const { pieces, deflated } = segmented(data, null, msg.level)
          if (deflated) {
            pieces.push(END)
            const d = Buffer.concat(pieces)
            if (d.length < data.length) { out = d; method = 8 }
          }
        }
      }
      const r = { ok: true, sha256, crc, size: data.length, method }
      if (owns(out)) {
        r.own = own.length
        own.push(out)
        transfer.push(out.buffer)
      } else {
        r.offset = total
        r.length = out.length
        small.push(out)
        total += out.length
      }
      results.push(r)
    } catch (e) {
      results.push({ ok: false, code: e && e.code, message: String(e && e.message || e) })
    }
  }
  const buf = Buffer.allocUnsafeSlow(total)
  let o = 0
  for (const out of small) { out.copy(buf, o); o += out.length }
  transfer.push(buf.buffer)
  parentPort.postMessage({ seq: msg.seq, results, data: buf, own }, transfer)
}
function chunk(msg) {
  const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
  handled(data.length)
  const dict = msg.dict ? Buffer.from(msg.dict.buffer, msg.dict.byteOffset, msg.dict.byteLength) : null
  const pieces = msg.level > 0 ? segmented(data, dict, msg.level).pieces : [storedBlocks(data)]
  const out = Buffer.allocUnsafeSlow(pieces.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of pieces) { p.copy(out, o); o += p.length }
  parentPort.postMessage({ seq: msg.seq, data: out }, [out.buffer])
}
parentPort.on('message', (msg) => {
  try {
    if (msg.type === 'files') files(msg)
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
        offset?: number
        length?: number
        own?: number
      }
    | { ok: false; code?: string; message: string }
  )[]
  data?: Uint8Array
  /** Large results travel in buffers of their own (transferred, not copied). */
  own?: Uint8Array[]
}

interface Pending {
  worker: PoolWorker
  bytes: number
  resolve: (msg: WorkerResultMessage) => void
  reject: (error: Error) => void
}

interface PoolWorker {
  worker: Worker
  inFlightBytes: number
  inFlight: number
}

/** Small files are grouped until a batch holds this many files or bytes. */
const BATCH_FILES = 128
const BATCH_BYTES = 4 * 1024 * 1024

export class DeflatePool {
  private readonly workers: PoolWorker[] = []
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private batch: { job: FileJob; resolve: (r: FileResult) => void; reject: (e: Error) => void }[] = []
  private batchBytes = 0
  private flushScheduled = false
  private failure: Error | null = null

  constructor(
    private readonly threads: number,
    private readonly level: number
  ) {}

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
  chunk(data: Buffer, dictionary: Buffer | null): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure)
    return this.send({ type: 'chunk', data, dict: dictionary, level: this.level }, data.length, [
      data.buffer as ArrayBuffer
    ]).then(msg => asBuffer(msg.data!))
  }

  /** Sends the files waiting in the current batch; called before the producer waits, so nothing sits idle. */
  flush(): void {
    this.flushScheduled = false
    if (this.batch.length === 0 || this.failure) return
    const batch = this.batch
    const bytes = this.batchBytes
    this.batch = []
    this.batchBytes = 0
    const jobs = batch.map(b => ({ path: b.job.path, store: b.job.store }))
    this.send({ type: 'files', jobs, level: this.level }, bytes, []).then(
      msg => {
        const data = asBuffer(msg.data!)
        msg.results!.forEach((r, i) => {
          const { job, resolve, reject } = batch[i]
          if (r.ok) {
            resolve({
              sha256: r.sha256,
              crc: r.crc,
              size: r.size,
              method: r.method,
              data: r.own === undefined ? data.subarray(r.offset, r.offset! + r.length!) : asBuffer(msg.own![r.own])
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

  private send(message: Record<string, unknown>, bytes: number, transfer: ArrayBuffer[]): Promise<WorkerResultMessage> {
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
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sample: SAMPLE, gcEvery: GC_EVERY_BYTES } })
    const w: PoolWorker = { worker, inFlight: 0, inFlightBytes: 0 }
    worker.on('message', (msg: WorkerResultMessage) => {
      const p = this.pending.get(msg.seq)
      if (!p) return
      this.pending.delete(msg.seq)
      w.inFlight--
      w.inFlightBytes -= p.bytes
      if (w.inFlight === 0) worker.unref()
      if (msg.error) p.reject(new XlrBackupError(`A compression worker failed: ${msg.error}`))
      else p.resolve(msg)
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

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength)
}
