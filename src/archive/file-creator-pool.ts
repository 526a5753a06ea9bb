import { Worker } from 'node:worker_threads'
import { BufferPool } from './buffer-pool.js'
import { IntegrityError } from '../shared/errors.js'
import type { CreateRequest, CreateResponse, StoredEntry } from './workers/file-creator-protocol.js'
import { FILE_CREATOR_WORKER_SOURCE } from './workers/generated/file-creator-worker-source.js'

/** A file the workers could not create, with the path and errno code they met. */
export class FileCreateError extends Error {
  constructor(
    readonly target: string,
    readonly code: string | undefined,
    message: string
  ) {
    super(message)
    this.name = 'FileCreateError'
  }
}

export interface FileToCreate {
  target: string
  content: Buffer
  /** Permission bits to set once the content is in. */
  mode: number
  /** Access and modification time, seconds since the epoch. */
  time: number
  /** Set when `content` is the archive's stored data: the worker inflates and checks it first (IntegrityError). */
  stored?: StoredEntry
}

interface Batch {
  data: Buffer
  used: number
  files: CreateRequest['files']
}

/** Content gathered per message; bigger files travel alone. */
const BATCH_BYTES = 1024 * 1024
const BATCH_FILES = 256
/** Batches sent and not yet answered, per worker: enough to keep it busy, little enough to bound memory. */
const IN_FLIGHT_PER_WORKER = 2

/**
 * Creating a file is the costly part of unpacking small ones: open(O_CREAT|O_EXCL) and close take ~60 µs of kernel
 * time each on ext4, more than reading, inflating and hashing a 10 KB entry. Done in line they made the restore of
 * 20 000 small files slower than unzip; these worker threads create the files (open, write, fchmod, futimes, close)
 * while the main thread reads the next ones (workers/file-creator-worker.ts). Content arrives either checked or as
 * stored in the archive (`stored`): then the workers inflate and check it too, so that work is spread over the cores
 * instead of holding the reading thread. A failed check fails drain() with the IntegrityError.
 */
export class FileCreatorPool {
  private readonly workers: { worker: Worker; inFlight: number }[] = []
  private readonly waiting = new Map<number, (failure: Error | null) => void>()
  private readonly batchBuffers: BufferPool
  private batch: Batch | null = null
  private seq = 0
  private failure: Error | null = null
  private roomWaiter: (() => void) | null = null
  private readonly settled: Promise<void>[] = []

  constructor(
    private readonly threads: number,
    /** open(2) flags for every file: the caller decides (O_EXCL, O_NOFOLLOW). */
    private readonly flags: number
  ) {
    this.batchBuffers = new BufferPool(BATCH_BYTES, threads * IN_FLIGHT_PER_WORKER)
  }

  /**
   * Queues one file; the content is copied, so the caller may reuse its buffer at once. Resolves at once unless
   * every worker is busy, then when one has room: await it to keep memory bounded.
   */
  add(file: FileToCreate): Promise<void> | undefined {
    if (this.failure) throw this.failure
    const length = file.content.length
    if (this.batch && (this.batch.used + length > this.batch.data.length || this.batch.files.length >= BATCH_FILES)) {
      this.send()
    }
    this.batch ??= { data: this.buffer(length), used: 0, files: [] }
    const b = this.batch
    file.content.copy(b.data, b.used)
    b.files.push({ target: file.target, offset: b.used, length, mode: file.mode, time: file.time, stored: file.stored })
    b.used += length
    if (b.used >= BATCH_BYTES) this.send()
    return this.full() ? new Promise(resolve => (this.roomWaiter = resolve)) : undefined
  }

  /**
   * Sends what is gathered, waits for every file to be created, and throws the first failure. The workers stay for
   * the next files: starting one costs more than creating hundreds of small files, and a restore unpacks a dozen
   * folders.
   */
  async drain(): Promise<void> {
    if (!this.failure) this.send()
    await Promise.all(this.settled.splice(0))
    if (this.failure) throw this.failure
  }

  /** drain(), then ends the workers. */
  async finish(): Promise<void> {
    try {
      await this.drain()
    } finally {
      await this.close()
    }
  }

  /** Stops the workers without waiting for what they were given (after a failure elsewhere). */
  async abort(): Promise<void> {
    this.failure ??= new Error('file creation aborted')
    await this.close()
  }

  /** Ends the workers once what they were given is done; reports no failure (drain does). */
  async close(): Promise<void> {
    await Promise.allSettled(this.settled.splice(0))
    await Promise.all(this.workers.splice(0).map(w => w.worker.terminate()))
  }

  private full(): boolean {
    return this.workers.length >= this.threads && this.workers.every(w => w.inFlight >= IN_FLIGHT_PER_WORKER)
  }

  private buffer(length: number): Buffer {
    if (length <= BATCH_BYTES) return this.batchBuffers.take()
    return Buffer.allocUnsafeSlow(length)
  }

  private send(): void {
    const b = this.batch
    this.batch = null
    if (!b || b.files.length === 0) return
    const w = this.pick()
    const seq = ++this.seq
    w.inFlight++
    this.settled.push(
      new Promise<void>(resolve => {
        this.waiting.set(seq, failure => {
          w.inFlight--
          if (failure) this.failure ??= failure
          const wake = this.roomWaiter
          this.roomWaiter = null
          wake?.()
          resolve()
        })
      })
    )
    const request: CreateRequest = { seq, flags: this.flags, files: b.files, data: b.data }
    w.worker.postMessage(request, [b.data.buffer as ArrayBuffer])
  }

  private pick(): { worker: Worker; inFlight: number } {
    const idle = this.workers.find(w => w.inFlight === 0)
    if (idle) return idle
    if (this.workers.length < this.threads) return this.spawn()
    return this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a))
  }

  private spawn(): { worker: Worker; inFlight: number } {
    const worker = new Worker(FILE_CREATOR_WORKER_SOURCE, { eval: true })
    const w = { worker, inFlight: 0 }
    worker.on('message', (msg: CreateResponse) => {
      this.batchBuffers.give(Buffer.from(msg.data.buffer, 0, msg.data.buffer.byteLength))
      const failure = !msg.failure
        ? null
        : msg.failure.integrity
          ? new IntegrityError(msg.failure.message)
          : new FileCreateError(msg.failure.target, msg.failure.code, msg.failure.message)
      this.waiting.get(msg.seq)?.(failure)
      this.waiting.delete(msg.seq)
    })
    worker.on('error', error => {
      this.failure ??= error
      for (const done of this.waiting.values()) done(null)
      this.waiting.clear()
      const wake = this.roomWaiter
      this.roomWaiter = null
      wake?.()
    })
    this.workers.push(w)
    return w
  }
}
