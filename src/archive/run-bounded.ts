/**
 * Runs `task` over `items` with at most `limit` in flight, in order of start; the first failure stops new starts and
 * is thrown once the running ones have settled (so nothing is still writing when the caller cleans up).
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>
): Promise<void> {
  let next = 0
  let failure: { error: unknown } | null = null
  async function worker(): Promise<void> {
    while (failure === null && next < items.length) {
      const item = items[next++]
      try {
        await task(item)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker())
  await Promise.all(workers)
  if (failure !== null) throw (failure as { error: unknown }).error
}
