import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { SignatureError } from '../shared/errors.js'
import { MAX_COMPANION_BYTES } from '../signing/companion.js'

/**
 * Reads a signature companion file: null when absent; refused when it is not a small regular file (a FIFO or a
 * huge file planted in its place must not hang or exhaust the restore).
 */
export async function readCompanion(file: string): Promise<string | null> {
  let handle
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new SignatureError(`Could not read the signature file ${file}: ${(error as Error).message}`, { cause: error })
  }
  try {
    const info = await handle.stat()
    if (!info.isFile() || info.size > MAX_COMPANION_BYTES) {
      throw new SignatureError(
        `The signature file ${file} is not a small regular file (${info.isFile() ? `${info.size} bytes` : 'not a file'}): the backup is refused.`
      )
    }
    const buffer = Buffer.alloc(info.size)
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0)
    return buffer.subarray(0, bytesRead).toString('utf8')
  } finally {
    await handle.close()
  }
}
