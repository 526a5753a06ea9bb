import { Transform } from 'node:stream'
import { XlrBackupError, EncryptionError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import type { DecryptionSettings } from './types.js'
import { checkDecryptionSettings, type CheckedDecryption } from './keys.js'
import { AGE_MAGIC, MAX_HEADER_BYTES, openHeader } from './header.js'
import { PayloadOpener, payloadKey, PAYLOAD_NONCE_SIZE } from './payload.js'

const MAGIC = Buffer.from(AGE_MAGIC)
const ARMOR = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----')
const MAC_LINE = Buffer.from('\n--- ')

function asEncryptionError(error: unknown): XlrBackupError {
  if (error instanceof XlrBackupError) return error
  return new EncryptionError(`Decryption failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error
  })
}

/** Reads the header and payload nonce off the front of the stream, then hands the rest to a PayloadOpener. */
class AgeReader {
  private head: Buffer = Buffer.alloc(0)
  private headerLength = -1
  private opener: PayloadOpener | null = null

  constructor(private readonly keys: CheckedDecryption) {}

  async write(data: Buffer, emit: (chunk: Buffer) => void): Promise<void> {
    if (this.opener !== null) {
      this.opener.write(data, emit)
      return
    }
    // Copied: the header may span writes, and a writer may reuse its buffer once the write is done.
    this.head = Buffer.concat([this.head, data])
    this.checkMagic()
    if (this.headerLength < 0) {
      const mac = this.head.indexOf(MAC_LINE)
      const end = mac < 0 ? -1 : this.head.indexOf(0x0a, mac + MAC_LINE.length)
      if (end < 0) {
        if (this.head.length > MAX_HEADER_BYTES) {
          throw new EncryptionError(
            `The encrypted backup's age header is over ${MAX_HEADER_BYTES} bytes; this is not a file this tool wrote. Refusing it.`
          )
        }
        return
      }
      this.headerLength = end + 1
    }
    if (this.head.length < this.headerLength + PAYLOAD_NONCE_SIZE) return
    const header = this.head.subarray(0, this.headerLength)
    const fileKey = await openHeader(header, this.keys)
    const nonce = this.head.subarray(this.headerLength, this.headerLength + PAYLOAD_NONCE_SIZE)
    this.opener = new PayloadOpener(payloadKey(fileKey, nonce))
    fileKey.fill(0)
    const rest = this.head.subarray(this.headerLength + PAYLOAD_NONCE_SIZE)
    this.head = Buffer.alloc(0)
    this.opener.write(rest, emit)
  }

  end(emit: (chunk: Buffer) => void): void {
    if (this.opener === null) {
      this.checkMagic()
      throw new EncryptionError(
        this.head.length < MAGIC.length
          ? 'The encrypted backup is truncated or empty: it ends before the age header is complete.'
          : 'The encrypted backup is truncated: it ends inside its age header.'
      )
    }
    this.opener.end(emit)
  }

  private checkMagic(): void {
    const n = Math.min(this.head.length, MAGIC.length)
    if (this.head.subarray(0, n).equals(MAGIC.subarray(0, n))) return
    if (
      this.head
        .subarray(0, Math.min(this.head.length, ARMOR.length))
        .equals(ARMOR.subarray(0, Math.min(this.head.length, ARMOR.length)))
    ) {
      throw new EncryptionError(
        "The backup is an ASCII-armored age file ('age -a'), which this tool does not read. Decrypt it by hand with 'age -d'."
      )
    }
    throw new EncryptionError('The backup is not an age-encrypted file (it does not start with the age v1 header).')
  }
}

/**
 * A Transform that turns an age v1 file back into plaintext with the settings' identities and/or passphrase.
 * Settings are checked first (InputError naming the input); with no key at all it rejects with an EncryptionError,
 * since the caller only decrypts files it found to be age files.
 *
 * The format is authenticated per 64 KiB chunk, so plaintext is released before the whole file has been checked:
 * a truncated or modified file ends in an 'error' event, never in a clean end. Callers must decrypt into a
 * temporary file and use it only after the stream has finished without error (stream/promises `pipeline` resolves
 * only then).
 */
export async function createDecryptStream(settings: DecryptionSettings): Promise<Transform> {
  const keys = checkDecryptionSettings(settings)
  if (keys.identities.length === 0 && keys.passphrase === undefined) {
    throw new EncryptionError(
      `This backup is encrypted; set '${Input.DecryptionIdentity}' or '${Input.EncryptionPassphrase}' to open it.`
    )
  }
  const reader = new AgeReader(keys)
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      reader
        .write(chunk, part => this.push(part))
        .then(
          () => callback(),
          (error: unknown) => callback(asEncryptionError(error))
        )
    },
    flush(callback) {
      try {
        reader.end(part => this.push(part))
        callback()
      } catch (error) {
        callback(asEncryptionError(error))
      }
    }
  })
}
