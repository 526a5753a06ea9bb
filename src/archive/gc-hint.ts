import v8 from 'node:v8'
import vm from 'node:vm'

/**
 * A minor GC on demand, and a full one when garbage has piled up. The writer's entries (walk results, records,
 * promises, the workers' messages) wait in its read-ahead long enough to survive two scavenges, so they are promoted
 * and only a full collection frees them; left to itself, V8 let that old space grow to ~100 MB before marking it.
 * Buffers handed between threads count as external memory, which V8 also collects late. So: a scavenge every few MB
 * (~1 ms), and a full collection only once the heap has grown GROWTH_BEFORE_FULL past what the last one left, or
 * external memory passes EXTERNAL_BEFORE_FULL. Measured on the bench homes, three interleaved runs each (the
 * results of the workers go through shared rings, see deflate-pool.ts): a full collection every other hint (the
 * earlier rule) 4.2 s / 208 MB at scale 1 and 11.5 s / 232 MB at scale 3; this rule 4.0 s / 220 MB and 11.2 s /
 * 234 MB; no full collections at all 4.0 s / 250 MB and 10.8 s / 295 MB.
 * `--expose-gc` is set at runtime because an action cannot choose node's flags; if that ever fails, this is a no-op
 * and only memory suffers.
 */
/** Bytes a thread handles between two scavenges. */
export const GC_EVERY_BYTES = 8 * 1024 * 1024
/** Heap growth (over what the last full collection left) that triggers the next one. */
const GROWTH_BEFORE_FULL = 8 * 1024 * 1024
/** External memory (Buffers) still held after a scavenge that triggers a full collection. */
const EXTERNAL_BEFORE_FULL = 24 * 1024 * 1024

type Collect = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void

let collect: Collect | null | undefined
let afterFull = 0

function collector(): Collect | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc')
      collect = vm.runInNewContext('gc') as Collect
    } catch {
      collect = null
    }
  }
  return collect
}

export function collectGarbage(): void {
  const gc = collector()
  if (!gc) return
  gc({ type: 'minor' })
  const heap = v8.getHeapStatistics()
  if (heap.used_heap_size > afterFull + GROWTH_BEFORE_FULL || heap.external_memory > EXTERNAL_BEFORE_FULL) {
    // gc() with no options: on Node 20, gc({ type: 'major' }) without 'async' collects nothing.
    gc()
    afterFull = v8.getHeapStatistics().used_heap_size
  }
}

/**
 * A scavenge only, for the deflate workers (see workers/deflate-worker.ts), as they have always done: the rule for
 * full collections above was measured on the main thread's heap, not on theirs.
 */
export function collectYoungGarbage(): void {
  collector()?.({ type: 'minor' })
}
