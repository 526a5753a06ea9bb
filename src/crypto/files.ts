import { open } from 'node:fs/promises'
import { EncryptionError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import { AGE_MAGIC } from './header.js'

const MAGIC = Buffer.from(AGE_MAGIC)

/** The file name of an encrypted backup: `<name>.zip.age`, what `age -d` users expect to strip. */
export function encryptedFileName(name: string): string {
  return `${name}.zip.age`
}

/** True when the file starts with the age v1 header line (binary age; armored files are not sniffed). */
export async function isAgeFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(MAGIC.length)
    const { bytesRead } = await handle.read(buffer, 0, MAGIC.length, 0)
    return bytesRead === MAGIC.length && buffer.equals(MAGIC)
  } finally {
    await handle.close()
  }
}

/**
 * Refuses a plaintext backup when the user requires encryption (`require-encryption: true`); returns whether the
 * file is encrypted, so callers sniff once.
 */
export async function assertEncryptedIfRequired(file: string, required: boolean): Promise<boolean> {
  const encrypted = await isAgeFile(file)
  if (required && !encrypted) {
    throw new EncryptionError(
      `The backup ${file} is not encrypted, and '${Input.RequireEncryption}' is true. Use an encrypted backup, or set '${Input.RequireEncryption}: false' to accept this one.`
    )
  }
  return encrypted
}
