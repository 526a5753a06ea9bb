import { Worker } from 'node:worker_threads'
import type { ExcludeMatcher } from './exclude.js'
import type { CountWorkerData, CountWorkerResult, TreeSpace } from './workers/count-protocol.js'
import { COUNT_WORKER_SOURCE } from './workers/generated/count-worker-source.js'

export type { TreeSpace } from './workers/count-protocol.js'

/** The usual block size, for a count that only wants the bytes. */
const DEFAULT_BLOCK = 4096

/**
 * Bytes of the files under `root` that the archive will hold, counted on a worker thread (workers/count-worker.ts:
 * the writer's own walk and exclusions) so the archive can start at once: the count only gives progress its
 * percentage and ETA. Errors the walk meets reject the count; the writer's own walk meets and reports them too.
 */
export async function countTreeBytes(root: string, exclude: ExcludeMatcher): Promise<number> {
  return (await countTreeSpace(root, exclude, DEFAULT_BLOCK)).bytes
}

/** The same walk, also telling the room a copy of the tree takes on a filesystem of `blockSize` blocks. */
export function countTreeSpace(root: string, exclude: ExcludeMatcher, blockSize: number): Promise<TreeSpace> {
  return new Promise((resolve, reject) => {
    const workerData: CountWorkerData = { root, rules: exclude.portableRules, blockSize: blockSize || DEFAULT_BLOCK }
    const worker = new Worker(COUNT_WORKER_SOURCE, { eval: true, workerData })
    worker.unref()
    worker.once('message', (result: CountWorkerResult) =>
      'error' in result ? reject(new Error(`the count of ${root} failed: ${result.error}`)) : resolve(result)
    )
    worker.once('error', reject)
    worker.once('exit', code => {
      if (code !== 0) reject(new Error(`the counting worker exited with code ${code}`))
    })
  })
}
