import { statfs } from 'node:fs/promises'
import { XlrBackupError } from '../shared/errors.js'
import { formatBytes } from '../shared/progress.js'
import type { EntryTable } from './entry-table.js'

/** Each file and folder takes at least one block; a margin keeps the disk from being filled to 0. */
const BLOCK = 4096
const MARGIN = 16 * 1024 * 1024

/** The scratch folder cannot hold what is to be unpacked into it: the backup may be fine, the disk is too small. */
export class NotEnoughSpaceError extends XlrBackupError {}

/** Bytes the entries under `prefixes` take once unpacked (each rounded up to a block), plus the margin. */
export function unpackedBytes(entries: EntryTable, prefixes: readonly string[]): number {
  let bytes = MARGIN
  for (const row of entries.rowsUnderAny(prefixes)) {
    bytes += Math.max(BLOCK, Math.ceil(entries.size(row) / BLOCK) * BLOCK)
  }
  return bytes
}

/**
 * Refuses, before anything is unpacked, when `folder`'s filesystem has less room than `needed`: a full disk part way
 * through would otherwise be reported as a failed write, which reads like a damaged backup.
 */
export async function assertScratchSpace(folder: string, needed: number, fix: string): Promise<void> {
  const s = await statfs(folder)
  const free = s.bavail * s.bsize
  if (needed > free) {
    throw new NotEnoughSpaceError(
      `Not enough free space in ${folder}: need ${formatBytes(needed)}, have ${formatBytes(free)}. ` +
        `The backup was not found damaged; ${fix}`
    )
  }
}
