import { Worker } from 'node:worker_threads'
import { XlrBackupError } from '../shared/errors.js'
import { BufferPool } from './buffer-pool.js'
import type { DeflateRequest, DeflateResponse, DeflateWorkerData } from './workers/deflate-protocol.js'
import { DEFLATE_WORKER_SOURCE } from './workers/generated/deflate-worker-source.js'

/**
 * Worker threads (workers/deflate-worker.ts) that read, hash and deflate whole small files (in batches, so 20 000
 * files cost a few hundred messages) and deflate chunks of large files. Measured on this project's bench machine,
 * zlib's asynchronous one-shot API costs ~0.5 ms of overhead per call, which made 20 000 small files take 9 s;
 * synchronous zlib inside workers does the same work in under 1 s per core.
 */

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

/** A request before the pool numbers it. */
type Unsent<T> = T extends unknown ? Omit<T, 'seq'> : never

/** A worker's result as the main thread sees it: the bytes, and how to give them back once written. */
interface Placed {
  view: Buffer
  release: () => void
}

interface Pending {
  worker: PoolWorker
  bytes: number
  resolve: (msg: DeflateResponse & { placed: Placed | null }) => void
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
    message: Unsent<DeflateRequest>,
    bytes: number,
    transfer: ArrayBuffer[]
  ): Promise<DeflateResponse & { placed: Placed | null }> {
    const w = this.pick()
    const seq = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { worker: w, bytes, resolve, reject })
      w.inFlight++
      w.inFlightBytes += bytes
      if (w.inFlight === 1) w.worker.ref()
      w.worker.postMessage({ ...message, seq } as DeflateRequest, transfer)
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
    const workerData: DeflateWorkerData = { portable: this.portable, ring: ring?.buffer, ringControl: ring?.control }
    const worker = new Worker(DEFLATE_WORKER_SOURCE, { eval: true, workerData })
    const w: PoolWorker = { worker, inFlight: 0, inFlightBytes: 0, ring }
    worker.on('message', (msg: DeflateResponse) => {
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
