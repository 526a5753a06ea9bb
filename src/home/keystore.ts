import { stat } from 'node:fs/promises'
import * as path from 'node:path'
import { hashFile } from '../shared/hash-file.js'
import { XlrBackupError } from '../shared/errors.js'

/** The key to every password and credential the server stores in its database, relative to the home. */
export const KEYSTORE_FILE = 'conf/repository-keystore.jceks'

/**
 * Hex SHA-256 of the home's keystore, or null when the home has none. A link is followed (the server follows it
 * too); anything but a regular file there is an error, as the server could not read it either.
 */
export async function keystoreFingerprint(home: string): Promise<string | null> {
  const file = path.join(home, KEYSTORE_FILE)
  const st = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null
    throw new XlrBackupError(`Cannot read ${file}: ${error.code ?? error.message}.`, { cause: error })
  })
  if (!st) return null
  if (!st.isFile()) throw new XlrBackupError(`${file} is not a regular file; the server reads its keystore there.`)
  return (await hashFile(file)).sha256
}

/** A fingerprint as the logs and summaries show it: the first 16 hex digits, or that there is no keystore. */
export function showFingerprint(sha256: string | null): string {
  return sha256 === null ? 'no keystore' : `sha256:${sha256.slice(0, 16)}`
}
