import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import { Decrypter, Encrypter, Stanza, type Identity, type Recipient } from 'age-encryption'
import { EncryptionError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import type { CheckedDecryption, CheckedEncryption } from './keys.js'

/**
 * The age header (recipient stanzas + HMAC) is built and checked by `age-encryption`, the reference TypeScript
 * implementation; only the payload is ours (see payload.ts), for speed. The file key is taken from the library by a
 * recipient that records it and adds no stanza.
 */

export const AGE_MAGIC = 'age-encryption.org/v1\n'
/** age's default scrypt work factor (log2 N): about 2 s and 256 MiB, once per file. */
export const DEFAULT_SCRYPT_LOG_N = 18
/** The most a file may ask of us, as in the reference implementation (1 GiB of memory). */
const MAX_SCRYPT_LOG_N = 20
/** Real headers are a few hundred bytes per recipient; anything larger is not a file we made or can trust. */
export const MAX_HEADER_BYTES = 1024 * 1024

const SCRYPT_LABEL = 'age-encryption.org/v1/scrypt'

function base64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '')
}

/** A file key wrapped with AEAD under a zero nonce, as every age stanza body is. */
function wrapKey(fileKey: Uint8Array, key: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 })
  return Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()])
}

function unwrapKey(body: Uint8Array, key: Buffer): Buffer | null {
  const decipher = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 })
  decipher.setAuthTag(body.subarray(16))
  const fileKey = decipher.update(body.subarray(0, 16))
  try {
    decipher.final()
    return fileKey
  } catch {
    return null
  }
}

/** scrypt(passphrase, label || salt): Node's, which runs off the main thread where the library's would block it. */
async function scryptKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      passphrase,
      Buffer.concat([Buffer.from(SCRYPT_LABEL), salt]),
      32,
      { N: 2 ** logN, r: 8, p: 1, maxmem: 2 ** logN * 1024 + 32 * 1024 * 1024 },
      (error, derived) => (error ? reject(error) : resolve(derived))
    )
  )
}

/** The age scrypt recipient (passphrase encryption). */
class ScryptRecipient implements Recipient {
  constructor(
    private readonly passphrase: string,
    private readonly logN: number
  ) {}

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16)
    const key = await scryptKey(this.passphrase, salt, this.logN)
    return [new Stanza(['scrypt', base64NoPad(salt), String(this.logN)], wrapKey(fileKey, key))]
  }
}

/** The age scrypt identity, with the reference implementation's checks (sole stanza, work factor at most 20). */
class ScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const stanza = stanzas.find(s => s.args[0] === 'scrypt')
    if (stanza === undefined) return null
    if (stanzas.length !== 1) throw new Error('scrypt recipient is not the only one in the header')
    const [, saltText, logNText] = stanza.args
    const salt = Buffer.from(saltText ?? '', 'base64')
    if (stanza.args.length !== 3 || !/^[1-9][0-9]*$/.test(logNText ?? '') || salt.length !== 16) {
      throw new Error('invalid scrypt stanza')
    }
    if (stanza.body.length !== 32) throw new Error('invalid scrypt stanza')
    const logN = Number(logNText)
    if (logN > MAX_SCRYPT_LOG_N) throw new Error('scrypt work factor is too high')
    return unwrapKey(stanza.body, await scryptKey(this.passphrase, salt, logN))
  }
}

export interface NewHeader {
  /** The header bytes, ending with the MAC line. */
  header: Buffer
  fileKey: Buffer
}

export async function createHeader(settings: CheckedEncryption, scryptLogN = DEFAULT_SCRYPT_LOG_N): Promise<NewHeader> {
  const encrypter = new Encrypter()
  if (settings.passphrase !== undefined) encrypter.addRecipient(new ScryptRecipient(settings.passphrase, scryptLogN))
  else for (const recipient of settings.recipients) encrypter.addRecipient(recipient)
  let fileKey: Uint8Array | undefined
  encrypter.addRecipient({
    wrapFileKey(key: Uint8Array): Stanza[] {
      fileKey = key
      return []
    }
  })
  // An empty file is header || 16-byte nonce || one 16-byte empty final chunk; we keep the header and file key and
  // write our own nonce and payload.
  const empty = await encrypter.encrypt(new Uint8Array(0))
  const header = Buffer.from(empty.subarray(0, empty.length - 32))
  if (fileKey === undefined || !header.subarray(0, AGE_MAGIC.length).equals(Buffer.from(AGE_MAGIC))) {
    throw new EncryptionError('age-encryption produced an unexpected header; this is a bug in xlr-backup.')
  }
  return { header, fileKey: Buffer.from(fileKey) }
}

/** The recipient types named by the header's stanzas ('X25519', 'scrypt', 'ssh-ed25519', …). */
export function stanzaTypes(header: Buffer): string[] {
  return header
    .toString('latin1')
    .split('\n')
    .filter(line => line.startsWith('-> '))
    .map(line => line.slice(3).split(' ')[0] ?? '')
}

const NATIVE_TYPES = new Set(['X25519', 'mlkem768x25519'])

/**
 * Finds the file key with the given identities or passphrase. Every refusal says what the file was encrypted to and
 * which input would open it; nothing a user typed is repeated.
 */
export async function openHeader(header: Buffer, keys: CheckedDecryption): Promise<Buffer> {
  const types = stanzaTypes(header)
  const identityInput = `'${Input.DecryptionIdentity}'`
  const passphraseInput = `'${Input.EncryptionPassphrase}'`
  if (types.includes('scrypt')) {
    if (keys.passphrase === undefined) {
      throw new EncryptionError(
        `This backup is encrypted with a passphrase; set ${passphraseInput} to open it (${identityInput} cannot).`
      )
    }
    const logN = Number(header.toString('latin1').match(/^-> scrypt \S+ (\d+)$/m)?.[1])
    if (logN > MAX_SCRYPT_LOG_N) {
      throw new EncryptionError(
        `This backup's passphrase encryption asks for scrypt work factor ${logN} (more than ${MAX_SCRYPT_LOG_N}, over 1 GiB of memory); refusing. Decrypt it by hand with 'age -d'.`
      )
    }
  } else if (keys.identities.length === 0) {
    if (types.some(t => NATIVE_TYPES.has(t))) {
      throw new EncryptionError(
        `This backup is encrypted to age public keys; set ${identityInput} to a matching secret key ('AGE-SECRET-KEY-1…') to open it (${passphraseInput} cannot).`
      )
    }
  }
  if (!types.includes('scrypt') && !types.some(t => NATIVE_TYPES.has(t))) {
    throw new EncryptionError(
      `This backup is encrypted to recipients of a kind this tool cannot use (${[...new Set(types)].join(', ') || 'none'}: SSH or plugin keys). Decrypt it by hand with 'age -d -i <key>'.`
    )
  }

  const decrypter = new Decrypter()
  for (const identity of keys.identities) decrypter.addIdentity(identity)
  if (keys.passphrase !== undefined) decrypter.addIdentity(new ScryptIdentity(keys.passphrase))
  try {
    return Buffer.from(await decrypter.decryptHeader(header))
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    if (/no identity matched/.test(detail)) {
      throw new EncryptionError(
        types.includes('scrypt')
          ? `The passphrase (${passphraseInput}) is wrong: it cannot open this backup.`
          : `None of the given identities (${identityInput}) can open this backup — it was encrypted to other recipients. Check that the secret key belongs to a public key in the backup's 'encryption-recipients'.`,
        { cause: error }
      )
    }
    if (/header HMAC/.test(detail)) {
      throw new EncryptionError(
        "This backup's age header was modified (its MAC does not match); refusing to decrypt it.",
        { cause: error }
      )
    }
    throw new EncryptionError(`This backup's age header is malformed (${detail}); refusing to decrypt it.`, {
      cause: error
    })
  }
}
