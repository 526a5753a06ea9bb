import v8 from 'node:v8'
import vm from 'node:vm'

/**
 * A minor GC on demand. The writer moves hundreds of MB through short-lived Buffers (many handed between threads),
 * which V8 counts as external memory and collects only once ~100 MB of it has piled up in each thread: peak RSS
 * then reached ~300 MB although at most 32 MB of data is in flight. A scavenge every few MB frees them at once for
 * ~1 ms. Buffers that waited in the output long enough to be promoted are only freed by a full collection, so every
 * other hint is a full collection (asynchronous). The workers' result buffers live in the workers' malloc arenas, which grow
 * to hold whatever garbage waits for the main thread's collector. Measured at scale 1 with 8 MiB read ahead: hints
 * every 16 MB with a full one every 64 MB, peak RSS ~250 MB; every 8 MB with a full one every 16 MB, ~220 MB, for
 * no CPU time that could be told apart from the noise.
 * `--expose-gc` is set at runtime because an action cannot choose node's flags; if that ever fails, this is a no-op
 * and only memory suffers.
 */
/** Bytes a thread handles between two scavenges. */
export const GC_EVERY_BYTES = 8 * 1024 * 1024
/** Scavenges between two full collections on the main thread. */
const SCAVENGES_PER_FULL = 2

type Collect = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void

let collect: Collect | null | undefined
let scavenges = 0

export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc')
      collect = vm.runInNewContext('gc') as Collect
    } catch {
      collect = null
    }
  }
  if (++scavenges % SCAVENGES_PER_FULL === 0) collect?.({ type: 'major', execution: 'async' })
  else collect?.({ type: 'minor' })
}

/** The same, as source for the worker threads (see deflate-pool.ts). */
export const WORKER_GC_SOURCE = String.raw`
let collectGarbage = () => {}
try {
  require('node:v8').setFlagsFromString('--expose-gc')
  const gc = require('node:vm').runInNewContext('gc')
  collectGarbage = () => gc({ type: 'minor' })
} catch {}
`
