import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { StorageError } from '../shared/errors.js'
export { hashFile } from '../shared/hash-file.js'

/**
 * Copies `source` to a new owner-only `dest` in one streamed pass, hashing the bytes as they go. The caller compares
 * the digest: copying and checking in the same pass means the file it gets is exactly the file that was checked.
 */
export async function copyWithDigest(source: string, dest: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      size += chunk.length
      callback(null, chunk)
    }
  })
  // 'wx': never replaces a file. The stream owns the handle (a FileHandle left to the garbage collector would try
  // to close the descriptor a second time).
  const handle = await open(dest, 'wx', PRIVATE_FILE_MODE)
  await pipeline(createReadStream(source, { highWaterMark: 1024 * 1024 }), tap, handle.createWriteStream())
  return { sha256: hash.digest('hex'), size }
}

/** The sidecar format of `sha256sum`, so `sha256sum -c` checks a stored backup by hand. */
export function sidecarText(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`
}

/** Reads the digest out of a sidecar; null when the text is not one. */
export function parseSidecar(text: string): string | null {
  const match = /^([0-9a-f]{64})\b/i.exec(text.trim())
  return match ? match[1].toLowerCase() : null
}

/** Throws when `file` exists (by default a StorageError saying fetching never overwrites); anything but ENOENT too. */
export async function refuseExisting(
  file: string,
  refusal: (file: string) => Error = f =>
    new StorageError(`${f} already exists: fetching never overwrites a file. Remove it or fetch into another folder.`)
): Promise<void> {
  try {
    await stat(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  throw refusal(file)
}
