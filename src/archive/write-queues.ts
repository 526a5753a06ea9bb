/**
 * The ZipWriter's queues between its producer (walk, reads, workers) and its consumer (writes in archive order): the
 * entries waiting their turn, each large file's deflated pieces, and the byte budget that bounds the read-ahead.
 */

/** What a large file turned out to be once read to the end. */
export interface Summary {
  sha256: string
  crc: number
  size: number
}

/** A FIFO the consumer awaits; `next()` resolves to null once closed and drained. */
export class AsyncFifo<T> {
  private items: T[] = []
  private head = 0
  private waiter: (() => void) | null = null
  private closed = false
  protected error: Error | null = null

  push(item: T): void {
    this.items.push(item)
    this.wake()
  }

  close(): void {
    this.closed = true
    this.wake()
  }

  fail(error: Error): void {
    this.error = error
    this.wake()
  }

  /**
   * The next item when one is waiting, else undefined (also once closed, or failed: `next()` then tells which);
   * saves the promise round trips of `next()` for every entry of a tree.
   */
  poll(): T | undefined {
    if (this.error || this.head >= this.items.length) return undefined
    return this.take()
  }

  async next(): Promise<T | null> {
    for (;;) {
      if (this.error) throw this.error
      if (this.head < this.items.length) return this.take()
      if (this.closed) return null
      await new Promise<void>(resolve => {
        this.waiter = resolve
      })
    }
  }

  private take(): T {
    const item = this.items[this.head]
    // Drop the reference at once: a consumed entry may hold megabytes of file data.
    this.items[this.head++] = undefined as T
    if (this.head > 1024) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = null
    w?.()
  }
}

export class ChunkQueue extends AsyncFifo<{ bytes: number; data: Promise<{ data: Buffer; release?: () => void }> }> {
  summary: Summary | null = null

  override close(summary?: Summary): void {
    if (summary) this.summary = summary
    super.close()
  }
}

/** Bounds the bytes read ahead of the writer; `onBlock` runs before waiting so no half-filled batch sits idle. */
export class ByteBudget {
  private used = 0
  private waiters: { cost: number; resolve: () => void }[] = []

  constructor(
    private readonly max: number,
    private readonly onBlock: () => void
  ) {}

  /** Takes `cost` at once when it fits (true); false when the caller must `acquire` and wait. */
  tryAcquire(cost: number): boolean {
    // One entry larger than the whole budget still goes through once nothing else is in flight.
    if (this.waiters.length === 0 && (this.used + cost <= this.max || this.used === 0)) {
      this.used += cost
      return true
    }
    return false
  }

  acquire(cost: number): Promise<void> {
    if (this.tryAcquire(cost)) return Promise.resolve()
    this.onBlock()
    return new Promise(resolve => this.waiters.push({ cost, resolve }))
  }

  release(cost: number): void {
    this.used -= cost
    while (this.waiters.length > 0) {
      const w = this.waiters[0]
      if (this.used + w.cost > this.max && this.used > 0) break
      this.waiters.shift()
      this.used += w.cost
      w.resolve()
    }
  }
}
