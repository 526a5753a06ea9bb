import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { Progress } from './progress.js'

/** 1 MiB reads: three times faster than a stream's 64 KiB default. */
const READ_BYTES = 1024 * 1024

/**
 * SHA-256 (hex) and size of a file, read into one reused buffer: a stream would hand over a new 1 MiB buffer per read,
 * and during a restore, which hashes the whole backup beside its unpacking, that garbage outlived its use long enough
 * to raise the peak memory.
 */
export async function hashFile(file: string, progress?: Progress): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(READ_BYTES)
  const handle = await open(file, 'r')
  let size = 0
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      size += bytesRead
      progress?.add(bytesRead)
    }
  } finally {
    await handle.close()
  }
  return { sha256: hash.digest('hex'), size }
}
