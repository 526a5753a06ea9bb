/**
 * A few buffers of one size kept for reuse once their bytes have gone where they were going. Fresh memory costs a
 * page fault per 4 KiB and, handed between threads, waits for a garbage collector; on the bench machine that cost
 * more than hashing the data. Buffers of another size are never kept, so a take always gets `size` bytes.
 */
export class BufferPool {
  private readonly kept: Buffer[] = []

  constructor(
    readonly size: number,
    private readonly keep: number
  ) {}

  /** A buffer of `size` bytes: a kept one when there is one. */
  take(): Buffer {
    return this.kept.pop() ?? Buffer.allocUnsafeSlow(this.size)
  }

  /** Takes a buffer back; it must no longer be in use. Kept only if it is of this pool's size and there is room. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.kept.length < this.keep) this.kept.push(buffer)
  }
}
