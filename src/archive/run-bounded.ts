import { setImmediate as nextTurn } from 'node:timers/promises'

/** Shared between lanes: the first failure stops every lane from starting more work. */
interface Failure {
  error: unknown
}

/**
 * Runs `task` over `items` with at most `limit` in flight, in order of start; the first failure stops new starts and
 * is thrown once the running ones have settled (so nothing is still writing when the caller cleans up).
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
  shared: { failure: Failure | null } = { failure: null }
): Promise<void> {
  let next = 0
  async function worker(): Promise<void> {
    while (shared.failure === null && next < items.length) {
      const item = items[next++]
      try {
        await task(item)
      } catch (error) {
        shared.failure ??= { error }
      }
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker())
  await Promise.all(workers)
  if (shared.failure !== null) throw shared.failure.error
}

/** How long the in-line lane may hold the event loop before letting the other lane's callbacks run. */
const SLICE_MS = 8

/**
 * Splits `items` in two lanes that run side by side: those `isInline` are handled synchronously on this thread in
 * short slices, the rest by `asyncTask` with at most `limit` in flight (their I/O and inflating run in the thread
 * pool meanwhile). The first failure in either lane stops both and is thrown once both have settled.
 */
export async function runInLanes<T>(
  items: readonly T[],
  isInline: (item: T) => boolean,
  /** May return a promise to hold the lane (backpressure); it is awaited before the next item. */
  inlineTask: (item: T) => void | Promise<void>,
  limit: number,
  asyncTask: (item: T) => Promise<void>
): Promise<void> {
  const inline = items.filter(isInline)
  const pooled = items.filter(item => !isInline(item))
  const shared: { failure: Failure | null } = { failure: null }
  async function inlineLane(): Promise<void> {
    let sliceStart = performance.now()
    for (const item of inline) {
      if (shared.failure !== null) return
      try {
        const hold = inlineTask(item)
        if (hold) {
          await hold
          sliceStart = performance.now()
        }
      } catch (error) {
        shared.failure ??= { error }
        return
      }
      if (performance.now() - sliceStart > SLICE_MS) {
        await nextTurn()
        sliceStart = performance.now()
      }
    }
  }
  await Promise.allSettled([inlineLane(), runBounded(pooled, limit, asyncTask, shared)])
  if (shared.failure !== null) throw shared.failure.error
}
