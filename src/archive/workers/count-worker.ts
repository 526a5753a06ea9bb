/**
 * The tree count's worker thread (see count-tree.ts): the writer's own walk, with the same exclusions, reduced to the
 * bytes of the regular files. Bundled by scripts/build-workers.ts into generated/count-worker-source.ts, which
 * countTreeBytes runs with `eval: true`; nothing imports this module directly.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ExcludeMatcher } from '../exclude.js'
import { walkTree } from '../tree-walker.js'
import type { CountWorkerData, CountWorkerResult } from './count-protocol.js'

async function count({ root, rules }: CountWorkerData): Promise<number> {
  let bytes = 0
  for await (const entry of walkTree(root, { exclude: ExcludeMatcher.fromPortable(rules) })) {
    if (entry.kind === 'file') bytes += entry.size
  }
  return bytes
}

count(workerData as CountWorkerData).then(
  bytes => parentPort!.postMessage({ bytes } satisfies CountWorkerResult),
  (error: unknown) =>
    parentPort!.postMessage({ error: String((error as Error | null)?.message ?? error) } satisfies CountWorkerResult)
)
