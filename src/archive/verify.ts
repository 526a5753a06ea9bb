import { availableParallelism } from 'node:os'
import type { Progress } from '../shared/progress.js'
import { smallEntryScratch } from '../zip/entry-content.js'
import { runInLanes } from './run-bounded.js'
import type { BackupArchive } from './backup-archive.js'

export interface VerifyOptions {
  progress?: Progress
  /** Big entries read at once (default: twice the CPUs, at least 4); small ones are read in line beside them. */
  threads?: number
  /** Only entries under these prefixes ('home/conf/', 'database/'); default all. */
  prefixes?: string[]
}

export interface VerifyReport {
  /** Entries checked (files, folders, links). */
  entries: number
  /** Bytes of content inflated and hashed. */
  bytes: number
  seconds: number
}

/** Inflating big entries runs in libuv's thread pool; a few more in flight than CPUs keeps it and the disk busy. */
export function defaultThreads(): number {
  return Math.max(4, 2 * availableParallelism())
}

/**
 * Reads every entry (or those under `prefixes`) and checks size, CRC-32 and SHA-256 against the manifest without
 * writing anything. Throws IntegrityError naming the first damaged entry.
 */
export async function verifyArchive(archive: BackupArchive, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now()
  const { prefixes } = options
  const table = archive.entries
  const selected = table.rowsUnderAny(prefixes ?? [''])
  const withContent = selected
    .filter(row => table.type(row) !== 'directory')
    .sort((a, b) => table.localHeaderOffset(a) - table.localHeaderOffset(b))
  let bytes = 0
  const scratch = smallEntryScratch()
  await runInLanes(
    withContent,
    row => table.isSmall(row),
    row => {
      const entry = table.at(row)
      archive.readSmallSync(entry, scratch)
      bytes += entry.size
      options.progress?.add(entry.size, 1)
    },
    Math.max(1, options.threads ?? defaultThreads()),
    async row => {
      const entry = table.at(row)
      await archive.readContent(entry, null)
      bytes += entry.size
      options.progress?.add(entry.size, 1)
    }
  )
  return { entries: selected.length, bytes, seconds: (Date.now() - started) / 1000 }
}
