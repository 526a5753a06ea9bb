import { randomBytes } from 'node:crypto'
import { Transform } from 'node:stream'
import { XlrBackupError, EncryptionError } from '../shared/errors.js'
import type { EncryptionSettings } from './types.js'
import { checkEncryptionSettings } from './keys.js'
import { createHeader, DEFAULT_SCRYPT_LOG_N } from './header.js'
import { PayloadSealer, payloadKey, PAYLOAD_NONCE_SIZE } from './payload.js'

export interface EncryptOptions {
  /** scrypt work factor (log2 N) for a passphrase; age's default 18. Lower only in tests. */
  scryptLogN?: number
}

function asEncryptionError(error: unknown): XlrBackupError {
  if (error instanceof XlrBackupError) return error
  return new EncryptionError(`Encryption failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error
  })
}

/**
 * A Transform that turns plaintext into an age v1 file (age-encryption.org/v1) for the settings' recipients or
 * passphrase. Settings are checked first (InputError naming the input); the header is made before this resolves,
 * so the passphrase's scrypt cost is paid here. Memory stays at one 64 KiB chunk.
 */
export async function createEncryptStream(
  settings: EncryptionSettings,
  options: EncryptOptions = {}
): Promise<Transform> {
  const checked = checkEncryptionSettings(settings)
  const { header, fileKey } = await createHeader(checked, options.scryptLogN ?? DEFAULT_SCRYPT_LOG_N).catch(
    (error: unknown) => {
      throw asEncryptionError(error)
    }
  )
  const nonce = randomBytes(PAYLOAD_NONCE_SIZE)
  const sealer = new PayloadSealer(payloadKey(fileKey, nonce))
  fileKey.fill(0)

  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        sealer.write(chunk, part => this.push(part))
        callback()
      } catch (error) {
        callback(asEncryptionError(error))
      }
    },
    flush(callback) {
      try {
        sealer.end(part => this.push(part))
        callback()
      } catch (error) {
        callback(asEncryptionError(error))
      }
    }
  })
  transform.push(header)
  transform.push(nonce)
  return transform
}
