import { Worker } from 'node:worker_threads'
import type { ExcludeMatcher } from './exclude.js'
import type { CountWorkerData, CountWorkerResult } from './workers/count-protocol.js'
import { COUNT_WORKER_SOURCE } from './workers/generated/count-worker-source.js'

/**
 * Bytes of the files under `root` that the archive will hold, counted on a worker thread (workers/count-worker.ts:
 * the writer's own walk and exclusions) so the archive can start at once: the count only gives progress its
 * percentage and ETA. Errors the walk meets reject the count; the writer's own walk meets and reports them too.
 */
export function countTreeBytes(root: string, exclude: ExcludeMatcher): Promise<number> {
  return new Promise((resolve, reject) => {
    const workerData: CountWorkerData = { root, rules: exclude.portableRules }
    const worker = new Worker(COUNT_WORKER_SOURCE, { eval: true, workerData })
    worker.unref()
    worker.once('message', (result: CountWorkerResult) =>
      'bytes' in result ? resolve(result.bytes) : reject(new Error(`the count of ${root} failed: ${result.error}`))
    )
    worker.once('error', reject)
    worker.once('exit', code => {
      if (code !== 0) reject(new Error(`the counting worker exited with code ${code}`))
    })
  })
}
