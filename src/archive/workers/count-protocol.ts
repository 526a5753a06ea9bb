/** The messages between countTreeBytes (main thread) and its worker (count-worker.ts). */
import type { PortableRule } from '../exclude.js'

export interface CountWorkerData {
  root: string
  rules: PortableRule[]
  /** The block size of the filesystem a copy would go to (statfs); what `TreeSpace.allocated` rounds to. */
  blockSize: number
}

/** What a copy of the tree takes: its files' bytes, and the room a filesystem gives them and its folders and links. */
export interface TreeSpace {
  /** Bytes of the regular files (what the archive holds). */
  bytes: number
  /** Each file rounded up to whole blocks: a 1-byte file takes a block. */
  fileBlocks: number
  /** Folders (a block each, plus an entry per name they hold) and links too long to live in their inode. */
  metadata: number
  /** Files, folders and links, the root among them: an inode each in a copy. */
  entries: number
}

/** The worker's one message: the count, or why the walk stopped. */
export type CountWorkerResult = TreeSpace | { error: string }
