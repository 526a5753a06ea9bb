import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'

/**
 * The end of the backup's output: hashes each chunk and writes it to the file. Unlike a pass-through into a file
 * stream, a write's callback fires only once the chunk is in the file and nothing here holds it any more, which is
 * what lets the archive writer reuse its buffers (ZipWriterOptions.reusesBuffersAfterWrite) instead of leaving
 * hundreds of MB to the garbage collector. Closes the handle when it ends or fails.
 */
export class HashingFileSink extends Writable {
  private readonly hash = createHash('sha256')
  private closing: Promise<void> | null = null
  bytes = 0

  constructor(private readonly handle: FileHandle) {
    super({ highWaterMark: 4 * 1024 * 1024 })
  }

  /** SHA-256 of everything written; only once the stream has finished. */
  hex(): string {
    return this.hash.copy().digest('hex')
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map(c => c.chunk)
    for (const b of buffers) {
      this.hash.update(b)
      this.bytes += b.length
    }
    writeAll(this.handle, buffers).then(() => callback(), callback)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.close().then(() => callback(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.close().then(
      () => callback(error),
      () => callback(error)
    )
  }

  private close(): Promise<void> {
    this.closing ??= this.handle.close()
    return this.closing
  }
}

/** writev until every byte is in: a short write (a full disk reports ENOSPC only on the next call) is resumed. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending)
    let skip = bytesWritten
    const rest: Buffer[] = []
    for (const b of pending) {
      if (skip >= b.length) {
        skip -= b.length
        continue
      }
      rest.push(skip > 0 ? b.subarray(skip) : b)
      skip = 0
    }
    if (rest.length > 0 && bytesWritten === 0) throw new Error('the file system accepted no bytes')
    pending = rest
  }
}
