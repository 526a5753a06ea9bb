import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import type { Writable } from 'node:stream'
import zlib from 'node:zlib'
import { XlrBackupError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { isCompressedByName } from './compressibility.js'
import { crc32 } from '../zip/crc32.js'
import { BufferPool } from './buffer-pool.js'
import { DeflatePool, type FileResult } from './deflate-pool.js'
import { EntryNames } from './entry-names.js'
import { ExcludeMatcher } from './exclude.js'
import { collectGarbage, GC_EVERY_BYTES } from './gc-hint.js'
import { walkTree, type TreeEntry, type WalkOptions } from './tree-walker.js'
import { AsyncFifo, ByteBudget, ChunkQueue, type Summary } from './write-queues.js'
import {
  type CentralEntry,
  centralHeader,
  dataDescriptor,
  DEFLATE_END,
  endOfCentralDirectory,
  type EntryKind,
  FLAG_DATA_DESCRIPTOR,
  FLAG_UTF8,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORE,
  UINT16_MAX,
  UINT32_MAX
} from '../zip/zip-format.js'

export interface ZipWriterOptions {
  /** 0 stores everything; 1–9 are zlib levels for what is worth deflating. */
  compressionLevel: number
  /** Upper bound on compression threads (worker threads); an admin can hold a busy server back. */
  threads: number
  /** Told as the entries of trees are written: content bytes, and each finished file (addFile, addBuffer are not). */
  onProgress?: ProgressSink
  /** Told about entries that cannot be archived (sockets, FIFOs) or vanished during the walk. */
  logger?: Logger
  /** Tests only: largest value written into a 32-bit field before ZIP64 takes over (default 0xFFFFFFFE). */
  zip64Limit?: number
  /** Tests only: most entries the classic end record may count before ZIP64 takes over (default 65 534). */
  zip64EntryLimit?: number
  /**
   * The output's write callback fires only once it holds the chunk no more (a file sink, or a transform that
   * consumes each chunk before calling back) — not a pass-through that queues the same buffer further on. The
   * writer then reuses its buffers instead of leaving ~1 MB of garbage per MB archived to the collector.
   */
  reusesBuffersAfterWrite?: boolean
}

/** What the writer tells about each entry it wrote (the caller keeps it: the writer does not). */
export interface WrittenEntry {
  /** The entry's name, e.g. 'home/conf/xl-release.conf' (folders end with '/'). */
  path: string
  type: EntryKind
  /** Permission bits (mode & 0o7777). */
  mode: number
  /** Modification time, ms since the epoch. */
  mtime: number
  /** Bytes of content (0 for folders; link text length for symlinks). */
  size: number
  /** Hex SHA-256 of the content (of the link text for symlinks); absent for folders. */
  sha256?: string
  /** Symlink target as stored. */
  target?: string
  /** The owner the file had (entries of a tree and files from the disk). */
  uid?: number
  gid?: number
}

/** Told about each entry once it is written; a returned promise is awaited before the next entry is (backpressure). */
export type RecordSink = (record: WrittenEntry) => void | Promise<void>

/** Told about content bytes written and files finished; either may be 0. */
export type ProgressSink = (bytes: number, files: number) => void

export interface AddTreeOptions {
  /** Globs relative to the walked folder (see ExcludeMatcher), or a parsed matcher. */
  exclude: readonly string[] | ExcludeMatcher
  /** Gets each entry's record in archive order; the writer keeps none, so its memory does not grow with the tree. */
  onRecord?: RecordSink
  /** Mode and mtime of each path as its source recorded them (a snapshot written as if from its source). */
  recordedAs?: WalkOptions['recordedAs']
}

/** Files up to this size are read, hashed and deflated whole inside a worker; larger ones are streamed in chunks. */
const WHOLE_FILE_MAX = 4 * 1024 * 1024
/** Piece of a large file read, hashed and deflated at a time. */
const CHUNK = 1024 * 1024
/** Bytes of file content read ahead of the writer (buffers waiting in workers or for their turn): bounds memory. */
const IN_FLIGHT_BYTES = 8 * 1024 * 1024
/** Each entry counts at least this much against the budget, so 20 000 empty files cannot pile up unbounded. */
const MIN_ENTRY_COST = 4096
/** Small writes are gathered into one buffer of about this size before reaching the output stream. */
const WRITE_BATCH = 1024 * 1024
/** A gathering buffer's size: a batch is flushed once it reaches WRITE_BATCH, and each piece is under WRITE_BATCH / 16. */
const BATCH_CAPACITY = WRITE_BATCH + WRITE_BATCH / 16
/** Written buffers kept for reuse (gathering buffers, stored pieces of large files). */
const SPARE_BUFFERS = 4
/** Shared memory per worker for its results when buffers are reused: more than the read-ahead, and any one result. */
const RESULT_RING = 12 * 1024 * 1024
const DICTIONARY = 32 * 1024
/** What an entry counts towards the next GC hint besides its bytes (see gc-hint.ts). */
const ENTRY_GARBAGE = 2048
const EMPTY_SHA256 = crypto.createHash('sha256').digest('hex')

/**
 * Writes a ZIP archive strictly sequentially (it never seeks, so it can feed an encryption stream or an upload) in
 * one pass over the data: each file is read once, and that read feeds the SHA-256, the CRC-32 and the deflater.
 * Entries are prepared in parallel by worker threads and written in walk order; memory stays bounded by
 * IN_FLIGHT_BYTES whatever the size of the tree. The writer keeps no per-entry state but the central directory (as
 * bytes): each entry's record goes to the caller's sink once written, and duplicate names are refused per tree prefix
 * rather than by remembering every name. Info-ZIP conventions throughout: Unix modes and file types in the
 * external attributes, symbolic links as entries holding the link text, folders as 'name/' entries, the 0x5455
 * timestamp, UTF-8 names, ZIP64 only where a size, offset or count needs it, data descriptors only for streamed files.
 */
export class ZipWriter {
  private readonly level: number
  private readonly threads: number
  private readonly limit: number
  private readonly entryLimit: number
  private readonly central = new CentralDirectory()
  private readonly names = new EntryNames()
  private offset = 0
  private sinceGc = 0
  /** Small writes are copied here until WRITE_BATCH bytes are gathered. */
  private gathering: Buffer | null = null
  private pendingBytes = 0
  private readonly gatheringBuffers = new BufferPool(BATCH_CAPACITY, SPARE_BUFFERS)
  private readonly storedPieces = new BufferPool(CHUNK, SPARE_BUFFERS)
  private pool: DeflatePool | null = null
  private failure: Error | null = null
  private readonly failWaiters = new Set<(error: Error) => void>()
  private chain: Promise<unknown> = Promise.resolve()
  private finished = false

  constructor(
    private readonly out: Writable,
    private readonly opts: ZipWriterOptions
  ) {
    if (!Number.isInteger(opts.compressionLevel) || opts.compressionLevel < 0 || opts.compressionLevel > 9) {
      throw new XlrBackupError(
        `Compression level ${opts.compressionLevel} is out of range; use a whole number from 0 to 9.`
      )
    }
    this.level = opts.compressionLevel
    this.threads = Math.max(1, Math.min(Math.floor(opts.threads) || 1, os.availableParallelism() * 2))
    this.limit = opts.zip64Limit ?? UINT32_MAX - 1
    this.entryLimit = opts.zip64EntryLimit ?? UINT16_MAX - 1
    out.on('error', error => this.fail(error))
  }

  /** Bytes handed to the output so far. */
  get bytesWritten(): number {
    return this.offset + this.pendingBytes
  }

  /**
   * Adds `dir` and everything under it as entries named `prefix` + relative path (the folder itself becomes
   * `prefix` when that is not empty). Symbolic links are stored as links, never followed. Resolves to the number of
   * entries written; their records go to `options.onRecord`.
   */
  addTree(dir: string, prefix: string, options: AddTreeOptions): Promise<number> {
    return this.serialize(() => {
      this.names.claimTree(prefix)
      return this.writeTree(dir, prefix, options)
    })
  }

  /**
   * Adds one file from the disk as the entry `name` with permission bits `mode`, whatever its own: read, hashed and
   * deflated like a tree's files, so a large one is streamed rather than held. Not counted in onProgress.
   */
  addFile(name: string, file: string, mode = 0o644): Promise<WrittenEntry> {
    return this.serialize(async () => {
      this.names.claimName(name)
      const st = await fsp.lstat(file)
      if (!st.isFile()) throw new XlrBackupError(`${file} is not a regular file; only a file can be added as ${name}.`)
      const entry: TreeEntry = {
        rel: name,
        abs: file,
        kind: 'file',
        mode: mode & 0o7777,
        mtimeMs: st.mtimeMs,
        size: st.size,
        uid: st.uid,
        gid: st.gid
      }
      let written: WrittenEntry | undefined
      await this.writeEntries([entry], () => name, {
        onRecord: record => {
          written = record
        }
      })
      return written!
    })
  }

  /** Adds one in-memory entry, deflated when that helps. */
  addBuffer(name: string, data: Buffer, mode = 0o644): Promise<WrittenEntry> {
    return this.serialize(async () => {
      this.names.claimName(name)
      const nameBytes = this.entryName(name)
      const sha256 = crypto.createHash('sha256').update(data).digest('hex')
      const crc = crc32(data)
      let payload = data
      let method = METHOD_STORE
      if (this.level > 0 && data.length > 0) {
        const deflated = zlib.deflateRawSync(data, { level: this.level })
        if (deflated.length < data.length) {
          payload = deflated
          method = METHOD_DEFLATE
        }
      }
      const mtimeMs = Date.now()
      await this.writeWholeEntry(nameBytes, 'file', mode, mtimeMs, {
        sha256,
        crc,
        size: data.length,
        method,
        data: payload
      })
      return { path: name, type: 'file', mode: mode & 0o7777, mtime: mtimeMs, size: data.length, sha256 }
    })
  }

  /** Writes the central directory and end records, ends the output (unless `end: false`) and waits for it. */
  finish(options: { end?: boolean } = {}): Promise<{ bytesWritten: number }> {
    return this.serialize(async () => {
      const cdOffset = this.bytesWritten
      for (const bytes of this.central.take()) await this.emit(bytes)
      const cdSize = this.bytesWritten - cdOffset
      await this.emit(endOfCentralDirectory(this.central.count, cdOffset, cdSize, this.limit, this.entryLimit))
      await this.flushWrites()
      this.finished = true
      await this.pool?.close()
      if (options.end !== false) {
        await this.race(
          new Promise<void>(resolve => {
            this.out.end(() => resolve())
          })
        )
      }
      return { bytesWritten: this.offset }
    })
  }

  /** Stops everything after a failure: later calls reject with the first error. */
  private fail(error: unknown): void {
    if (this.failure) return
    this.failure = error instanceof Error ? error : new Error(String(error))
    for (const reject of this.failWaiters) reject(this.failure)
    this.failWaiters.clear()
    this.pool?.destroy(this.failure)
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.failure) throw this.failure
      if (this.finished) throw new XlrBackupError('The archive is already finished; nothing more can be added.')
      return task()
    })
    this.chain = run.catch(() => undefined)
    return run.catch((error: unknown) => {
      this.fail(error)
      throw error
    })
  }

  /**
   * Awaits `p` unless the writer fails first. Not Promise.race against one long-lived promise: every race leaves a
   * reaction on it that keeps the race's result (file data) alive until the writer is gone.
   */
  private race<T>(p: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<T>((resolve, reject) => {
      this.failWaiters.add(reject)
      p.then(
        value => {
          this.failWaiters.delete(reject)
          resolve(value)
        },
        (error: unknown) => {
          this.failWaiters.delete(reject)
          reject(error as Error)
        }
      )
    })
  }

  private getPool(): DeflatePool {
    // Results go through a shared ring only when every one is sure to be released once written.
    this.pool ??= new DeflatePool(this.threads, this.level, false, this.opts.reusesBuffersAfterWrite ? RESULT_RING : 0)
    return this.pool
  }

  private entryName(name: string): Buffer {
    const bytes = Buffer.from(name, 'utf8')
    if (bytes.length > UINT16_MAX)
      throw new XlrBackupError(`The path ${name} is longer than a ZIP entry name can be (65 535 bytes).`)
    return bytes
  }

  private writeTree(dir: string, prefix: string, options: AddTreeOptions): Promise<number> {
    const exclude = options.exclude instanceof ExcludeMatcher ? options.exclude : ExcludeMatcher.parse(options.exclude)
    const onSkip = (rel: string, reason: string): void =>
      this.opts.logger?.warning(`Not archived: ${rel} in ${dir}, because ${reason}.`)
    return this.writeEntries(walkTree(dir, { exclude, onSkip, recordedAs: options.recordedAs }), treeName(prefix), {
      onRecord: options.onRecord,
      onProgress: this.opts.onProgress
    })
  }

  /** Prepares entries in parallel and writes them in order; resolves to how many were written. */
  private async writeEntries(
    entries: AsyncIterable<TreeEntry> | Iterable<TreeEntry>,
    nameOf: (entry: TreeEntry) => string | null,
    batch: BatchOptions
  ): Promise<number> {
    const slots = new AsyncFifo<Slot>()
    const budget = new ByteBudget(IN_FLIGHT_BYTES, () => this.pool?.flush())
    const consumer = this.consume(slots, { ...batch, budget })
    consumer.catch(() => undefined)
    try {
      let sinceYield = 0
      for await (const entry of entries) {
        if (this.failure) throw this.failure
        const name = nameOf(entry)
        if (name === null) continue
        // The walk is synchronous underneath; let worker results and writes in every so often.
        if (++sinceYield >= 64) {
          sinceYield = 0
          await new Promise<void>(resolve => setImmediate(resolve))
        }
        const slot = this.prepare(entry, this.entryName(name), name)
        const cost = Math.max(MIN_ENTRY_COST, entry.kind === 'file' && entry.size <= WHOLE_FILE_MAX ? entry.size : 0)
        if (!budget.tryAcquire(cost)) await this.race(budget.acquire(cost))
        slot.cost = cost
        if (slot.kind === 'stream') {
          slots.push(slot)
          await this.streamFile(entry, slot, budget)
        } else {
          if (slot.kind === 'whole' && slot.job) {
            // Stored files go to the workers too: hashing them here made the main thread the bottleneck.
            slot.result = this.getPool().file(slot.job)
          }
          slot.result?.catch(() => undefined)
          slots.push(slot)
        }
      }
      slots.close()
    } catch (error) {
      this.fail(error)
      slots.close()
    }
    this.pool?.flush()
    const written = await consumer
    if (this.failure) throw this.failure
    return written
  }

  private prepare(entry: TreeEntry, name: Buffer, path: string): Slot {
    const base = { name, path, entry, cost: 0 }
    if (entry.kind === 'directory') return { ...base, kind: 'directory' }
    if (entry.kind === 'symlink') return { ...base, kind: 'symlink' }
    const store = this.level === 0 || isCompressedByName(entry.rel)
    if (entry.size === 0) return { ...base, kind: 'whole', store }
    if (entry.size <= WHOLE_FILE_MAX)
      return { ...base, kind: 'whole', store, job: { path: entry.abs, size: entry.size, store } }
    return { ...base, kind: 'stream', store, chunks: new ChunkQueue() }
  }

  /** Reads a large file in order (hash and CRC on this thread, 1+ GB/s) and hands each piece to the pool. */
  private async streamFile(entry: TreeEntry, slot: StreamSlot, budget: ByteBudget): Promise<void> {
    let handle: fsp.FileHandle
    try {
      handle = await fsp.open(entry.abs, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0))
    } catch (error) {
      throw new XlrBackupError(
        `Cannot read ${entry.abs}: ${(error as Error).message}. Check its permissions, or exclude it.`,
        {
          cause: error
        }
      )
    }
    // Small files before this one go to the workers first: each worker then gets its work, and fills its results
    // ring, in archive order, which is the order the writer releases the ring in (see DeflatePool's ring).
    this.pool?.flush()
    try {
      const hash = crypto.createHash('sha256')
      let crc = 0
      let size = 0
      let tail: Buffer | null = null
      for (;;) {
        if (this.failure) throw this.failure
        // Deflated pieces come back from the workers and are read into again; stored ones go to the output, then
        // back here once written.
        const buf = slot.store ? this.storedPieces.take() : this.getPool().chunkBuffer(CHUNK)
        const { bytesRead } = await handle.read(buf, 0, CHUNK, null)
        if (bytesRead === 0) break
        const data = buf.subarray(0, bytesRead)
        hash.update(data)
        crc = crc32(data, crc)
        size += bytesRead
        await this.race(budget.acquire(bytesRead))
        if (slot.store) {
          const release = (): void => this.storedPieces.give(buf)
          slot.chunks.push({ bytes: bytesRead, data: Promise.resolve({ data, release }) })
        } else {
          const dictionary = tail
          tail = nextDictionary(tail, data)
          const deflated = this.getPool().chunk(data, dictionary)
          deflated.catch(() => undefined)
          slot.chunks.push({ bytes: bytesRead, data: deflated })
        }
      }
      slot.chunks.close({ sha256: hash.digest('hex'), crc, size })
    } catch (error) {
      slot.chunks.fail(error as Error)
      throw error
    } finally {
      await handle.close()
    }
  }

  /** Writes prepared entries strictly in walk order as their data becomes ready; resolves to how many it wrote. */
  private async consume(slots: AsyncFifo<Slot>, batch: Batch): Promise<number> {
    const { budget, onRecord, onProgress } = batch
    let written = 0
    try {
      for (;;) {
        const slot = slots.poll() ?? (await this.race(slots.next()))
        if (!slot) break
        const { entry, name, path } = slot
        const record: WrittenEntry = {
          path,
          type: entry.kind,
          mode: entry.mode,
          mtime: entry.mtimeMs,
          size: 0,
          uid: entry.uid,
          gid: entry.gid
        }
        if (slot.kind === 'directory') {
          await this.writeWholeEntry(name, 'directory', entry.mode, entry.mtimeMs, null)
        } else if (slot.kind === 'symlink') {
          const target = await this.race(fsp.readlink(entry.abs, { encoding: 'buffer' }))
          const sha256 = crypto.createHash('sha256').update(target).digest('hex')
          const data = { sha256, crc: crc32(target), size: target.length, method: METHOD_STORE, data: target }
          await this.writeWholeEntry(name, 'symlink', entry.mode, entry.mtimeMs, data)
          Object.assign(record, { size: target.length, sha256, target: target.toString('utf8') })
          // A link counts as a file, as in the summary and in restore's progress; its text is not content.
          onProgress?.(0, 1)
        } else if (slot.kind === 'whole') {
          const result = slot.result
            ? await this.race(slot.result)
            : { sha256: EMPTY_SHA256, crc: 0, size: 0, method: METHOD_STORE, data: Buffer.alloc(0) }
          await this.writeWholeEntry(name, 'file', entry.mode, entry.mtimeMs, result)
          Object.assign(record, { size: result.size, sha256: result.sha256 })
          onProgress?.(result.size, 1)
        } else {
          const summary = await this.writeStreamEntry(slot, batch)
          Object.assign(record, { size: summary.size, sha256: summary.sha256 })
          onProgress?.(0, 1)
        }
        budget.release(slot.cost)
        written++
        const taken = onRecord?.(record)
        if (taken) await this.race(taken)
        // Each entry leaves ~2 KB of objects behind whatever its size; 20 000 small files would otherwise pile up
        // tens of MB of them between two GC hints, and more the larger the tree.
        this.sinceGc += ENTRY_GARBAGE
      }
      return written
    } catch (error) {
      this.fail(error)
      throw error
    }
  }

  private async writeWholeEntry(
    name: Buffer,
    kind: CentralEntry['kind'],
    mode: number,
    mtimeMs: number,
    content: FileResult | null
  ): Promise<void> {
    const offset = this.bytesWritten
    const method = content?.method ?? METHOD_STORE
    const crc = content?.crc ?? 0
    const size = content?.size ?? 0
    const compressedSize = content?.data.length ?? 0
    const zip64 = size > this.limit || compressedSize > this.limit
    const flags = FLAG_UTF8
    await this.emit(localHeader({ name, mtimeMs, method, flags, crc, compressedSize, size, zip64 }))
    if (content && content.data.length > 0) await this.emit(content.data, content.release)
    // A file that was emptied since the walk saw it: nothing to write, but its result must still go back.
    else content?.release?.()
    this.central.add(
      centralHeader({ name, kind, mode, mtimeMs, method, flags, crc, compressedSize, size, offset }, this.limit)
    )
  }

  private async writeStreamEntry(slot: StreamSlot, batch: Batch): Promise<Summary> {
    const { name, entry } = slot
    const { budget, onProgress } = batch
    const offset = this.bytesWritten
    const method = slot.store ? METHOD_STORE : METHOD_DEFLATE
    const flags = FLAG_UTF8 | FLAG_DATA_DESCRIPTOR
    // Sizes are only known afterwards; plan ZIP64 from lstat's size with room for deflate's worst-case growth.
    const zip64 = entry.size * 1.01 + CHUNK > this.limit
    await this.emit(
      localHeader({ name, mtimeMs: entry.mtimeMs, method, flags, crc: 0, compressedSize: 0, size: 0, zip64 })
    )
    let compressedSize = 0
    for (;;) {
      const chunk = await this.race(slot.chunks.next())
      if (!chunk) break
      const { data, release } = await this.race(chunk.data)
      await this.emit(data, release)
      compressedSize += data.length
      budget.release(chunk.bytes)
      onProgress?.(chunk.bytes, 0)
    }
    if (!slot.store) {
      await this.emit(DEFLATE_END)
      compressedSize += DEFLATE_END.length
    }
    const summary = slot.chunks.summary!
    if (!zip64 && (summary.size > this.limit || compressedSize > this.limit)) {
      throw new XlrBackupError(
        `${entry.abs} grew from ${entry.size} to ${summary.size} bytes while it was archived; stop whatever writes to it and run the backup again.`
      )
    }
    await this.emit(dataDescriptor(summary.crc, compressedSize, summary.size, zip64))
    this.central.add(
      centralHeader(
        {
          name,
          kind: 'file',
          mode: entry.mode,
          mtimeMs: entry.mtimeMs,
          method,
          flags,
          crc: summary.crc,
          compressedSize,
          size: summary.size,
          offset
        },
        this.limit
      )
    )
    return summary
  }

  /**
   * Queues bytes for the output; large buffers go straight through, small ones are gathered first. `release` is
   * called once the output is done with `data` (see reusesBuffersAfterWrite).
   */
  private async emit(data: Buffer, release?: () => void): Promise<void> {
    if (this.failure) throw this.failure
    if (data.length >= WRITE_BATCH / 16) {
      // Big enough to go alone: copying it into a batch would cost more than the write call.
      await this.flushWrites()
      await this.writeOut(data, release)
      return
    }
    // Copied at once and released at once: a worker whose ring is full waits for this release, and the writer may
    // be about to wait for that worker's next result.
    if (this.pendingBytes + data.length > BATCH_CAPACITY) await this.flushWrites()
    this.gathering ??= this.gatheringBuffers.take()
    this.pendingBytes += data.copy(this.gathering, this.pendingBytes)
    release?.()
    if (this.pendingBytes >= WRITE_BATCH) await this.flushWrites()
  }

  /** Hands the gathered bytes to the output; the gathering buffer comes back once they are written. */
  private async flushWrites(): Promise<void> {
    const batch = this.gathering
    if (!batch || this.pendingBytes === 0) return
    const length = this.pendingBytes
    this.gathering = null
    this.pendingBytes = 0
    await this.writeOut(batch.subarray(0, length), () => this.gatheringBuffers.give(batch))
  }

  /** Writes to the output and waits for 'drain' when it asks for a pause (backpressure). */
  private async writeOut(data: Buffer, release?: () => void): Promise<void> {
    this.offset += data.length
    this.sinceGc += data.length
    if (this.sinceGc >= GC_EVERY_BYTES) {
      this.sinceGc = 0
      collectGarbage()
    }
    if (this.out.destroyed || this.out.writableEnded)
      throw new XlrBackupError('The archive output was closed before the archive was complete.')
    const written = release && this.opts.reusesBuffersAfterWrite ? (): void => release() : undefined
    if (!this.out.write(data, written)) {
      await this.race(
        new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            this.out.off('close', onClose)
            resolve()
          }
          const onClose = (): void => {
            this.out.off('drain', onDrain)
            reject(new XlrBackupError('The archive output was closed before the archive was complete.'))
          }
          this.out.once('drain', onDrain)
          this.out.once('close', onClose)
        })
      )
    }
  }
}

/** Where one batch of entries reports: records to the sink, bytes and files to the progress (when counted). */
interface BatchOptions {
  onRecord?: RecordSink
  onProgress?: ProgressSink
}

interface Batch extends BatchOptions {
  budget: ByteBudget
}

/**
 * How a tree's entries are named in the archive: `prefix` + relative path, folders ending with '/'; null for the
 * walked folder itself when the prefix is empty. A plain function rather than a generator around the walk, which
 * would cost promise round trips for every entry.
 */
function treeName(prefix: string): (entry: TreeEntry) => string | null {
  return entry => {
    if (entry.rel === '' && prefix === '') return null
    return prefix + entry.rel + (entry.kind === 'directory' && entry.rel !== '' ? '/' : '')
  }
}

function nextDictionary(tail: Buffer | null, data: Buffer): Buffer {
  const joined = data.length >= DICTIONARY || !tail ? data : Buffer.concat([tail, data])
  const slice = joined.subarray(Math.max(0, joined.length - DICTIONARY))
  const copy = Buffer.allocUnsafeSlow(slice.length)
  slice.copy(copy)
  return copy
}

/**
 * The central directory, kept as the bytes it will be written as (~130 bytes an entry) rather than as objects
 * (~300 bytes an entry plus a Buffer for the name): it is the one part of the writer that grows with the tree.
 */
class CentralDirectory {
  private static readonly BLOCK = 256 * 1024
  private blocks: Buffer[] = []
  private block = Buffer.allocUnsafe(0)
  private used = 0
  count = 0

  add(header: Buffer): void {
    this.count++
    if (this.used + header.length > this.block.length) {
      if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used))
      this.block = Buffer.allocUnsafe(Math.max(CentralDirectory.BLOCK, header.length))
      this.used = 0
    }
    header.copy(this.block, this.used)
    this.used += header.length
  }

  /** The bytes, in order; the directory is empty afterwards. */
  take(): Buffer[] {
    const all = this.used > 0 ? [...this.blocks, this.block.subarray(0, this.used)] : this.blocks
    this.blocks = []
    this.block = Buffer.allocUnsafe(0)
    this.used = 0
    return all
  }
}

interface SlotBase {
  name: Buffer
  path: string
  entry: TreeEntry
  cost: number
}
type Slot =
  | (SlotBase & { kind: 'directory'; result?: undefined })
  | (SlotBase & { kind: 'symlink'; result?: undefined })
  | (SlotBase & {
      kind: 'whole'
      store: boolean
      job?: { path: string; size: number; store: boolean }
      result?: Promise<FileResult>
    })
  | StreamSlot
type StreamSlot = SlotBase & { kind: 'stream'; store: boolean; chunks: ChunkQueue; result?: undefined }
