/**
 * The tree count's worker thread (see count-tree.ts): the writer's own walk, with the same exclusions, reduced to the
 * bytes of the regular files and the room a copy of them takes. Bundled by scripts/build-workers.ts into
 * generated/count-worker-source.ts, which countTreeBytes runs with `eval: true`; nothing imports this module directly.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as path from 'node:path'
import { ExcludeMatcher } from '../exclude.js'
import { walkTree } from '../tree-walker.js'
import type { CountWorkerData, CountWorkerResult, TreeSpace } from './count-protocol.js'

/** ext4 keeps a link text shorter than this in the inode itself; a longer one takes a block. */
const INLINE_LINK_BYTES = 60
/** A folder entry: inode number, lengths and type (8 bytes), then the name, padded to 4 bytes (ext4's layout). */
const DIRENT_HEADER = 8

async function count({ root, rules, blockSize }: CountWorkerData): Promise<TreeSpace> {
  const space: TreeSpace = { bytes: 0, fileBlocks: 0, metadata: 0, entries: 0 }
  for await (const entry of walkTree(root, { exclude: ExcludeMatcher.fromPortable(rules) })) {
    space.entries++
    if (entry.rel !== '')
      space.metadata += DIRENT_HEADER + Math.ceil(Buffer.byteLength(path.basename(entry.rel)) / 4) * 4
    if (entry.kind === 'file') {
      space.bytes += entry.size
      space.fileBlocks += Math.ceil(entry.size / blockSize) * blockSize
    } else if (entry.kind === 'directory' || entry.size >= INLINE_LINK_BYTES) {
      space.metadata += blockSize
    }
  }
  return space
}

count(workerData as CountWorkerData).then(
  space => parentPort!.postMessage(space satisfies CountWorkerResult),
  (error: unknown) =>
    parentPort!.postMessage({ error: String((error as Error | null)?.message ?? error) } satisfies CountWorkerResult)
)
