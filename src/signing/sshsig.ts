import { createHash, sign as edSign, verify as edVerify } from 'node:crypto'
import { ED25519, fingerprintOf, publicKeyFromBlob, type SigningKey } from './ssh-keys.js'
import { WireReader, wireString, wireUint32 } from './ssh-wire.js'

/**
 * OpenSSH signatures (PROTOCOL.sshsig), the format of `ssh-keygen -Y sign` and `-Y verify`, for Ed25519 keys.
 * The message is hashed (SHA-512, as ssh-keygen does) and the key signs a blob that binds the hash to a namespace,
 * so a signature made for another purpose (git commits, files) never verifies as a backup signature.
 */
const MAGIC = Buffer.from('SSHSIG', 'latin1')
const VERSION = 1
const BEGIN = '-----BEGIN SSH SIGNATURE-----'
const END = '-----END SSH SIGNATURE-----'
const HASHES = ['sha512', 'sha256'] as const

/** What a well-formed signature says, before anyone decides whether to trust its key. */
export interface SignatureInfo {
  publicBlob: Buffer
  fingerprint: string
  namespace: string
}

/** A signature failed to parse or verify; the message says which check failed. */
export class SignatureFormatError extends Error {}

function signedData(namespace: string, hash: string, message: Buffer): Buffer {
  const digest = createHash(hash).update(message).digest()
  return Buffer.concat([MAGIC, wireString(namespace), wireString(''), wireString(hash), wireString(digest)])
}

/** Signs `message` as `ssh-keygen -Y sign -n <namespace>` would; returns the armored signature text. */
export function signSshsig(message: Buffer, key: SigningKey, namespace: string): string {
  const raw = edSign(null, signedData(namespace, 'sha512', message), key.privateKey)
  const signature = Buffer.concat([wireString(ED25519), wireString(raw)])
  const blob = Buffer.concat([
    MAGIC,
    wireUint32(VERSION),
    wireString(key.publicBlob),
    wireString(namespace),
    wireString(''),
    wireString('sha512'),
    wireString(signature)
  ])
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? []
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`
}

/**
 * Checks an armored signature over `message` for `namespace` and returns the key that made it. It proves only that
 * the holder of that key signed; whether the key is trusted is the caller's decision.
 */
export function verifySshsig(message: Buffer, armored: string, namespace: string): SignatureInfo {
  const text = armored.trim()
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
    throw new SignatureFormatError(`it is not an armored SSH signature ('${BEGIN}' … '${END}')`)
  }
  const blob = Buffer.from(text.slice(BEGIN.length, -END.length).replace(/\s+/g, ''), 'base64')
  let publicBlob: Buffer, signedNamespace: string, hash: string, signature: Buffer
  try {
    if (!blob.subarray(0, MAGIC.length).equals(MAGIC)) throw new SignatureFormatError('it has no SSHSIG preamble')
    const r = new WireReader(blob.subarray(MAGIC.length), 'the signature')
    const version = r.uint32()
    if (version !== VERSION) throw new SignatureFormatError(`it has version ${version}, not ${VERSION}`)
    publicBlob = r.string()
    signedNamespace = r.text()
    r.string()
    hash = r.text()
    signature = r.string()
    if (r.remaining !== 0) throw new SignatureFormatError('it has trailing bytes')
  } catch (error) {
    if (error instanceof SignatureFormatError) throw error
    throw new SignatureFormatError((error as Error).message)
  }
  const fingerprint = fingerprintOf(publicBlob)
  if (signedNamespace !== namespace) {
    throw new SignatureFormatError(
      `it was made for namespace '${signedNamespace}', not '${namespace}' (key ${fingerprint})`
    )
  }
  if (!(HASHES as readonly string[]).includes(hash)) {
    throw new SignatureFormatError(`it uses hash '${hash}'; only ${HASHES.join(', ')} are defined`)
  }
  let publicKey
  try {
    publicKey = publicKeyFromBlob(publicBlob)
  } catch (error) {
    throw new SignatureFormatError(`its key: ${(error as Error).message}`)
  }
  const s = new WireReader(signature, 'the signature value')
  let raw: Buffer
  try {
    if (s.text() !== ED25519) throw new SignatureFormatError(`its signature is not an ${ED25519} signature`)
    raw = s.string()
  } catch (error) {
    if (error instanceof SignatureFormatError) throw error
    throw new SignatureFormatError((error as Error).message)
  }
  if (raw.length !== 64 || !edVerify(null, signedData(namespace, hash, message), publicKey, raw)) {
    throw new SignatureFormatError(
      `it does not match the signed text (key ${fingerprint}): the text or the signature was changed`
    )
  }
  return { publicBlob, fingerprint, namespace }
}
