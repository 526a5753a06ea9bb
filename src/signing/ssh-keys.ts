import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { WireReader, wireString } from './ssh-wire.js'

export const ED25519 = 'ssh-ed25519'
const PRIVATE_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----'
const PRIVATE_END = '-----END OPENSSH PRIVATE KEY-----'
const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1')
/** How to make a key this tool accepts; every refusal of a key ends with it. */
export const KEYGEN_HINT = "make one with: ssh-keygen -t ed25519 -N '' -C xlr-backup -f xlr-backup-signing"

/** An Ed25519 signing key, parsed from an unencrypted openssh-key-v1 private key. */
export interface SigningKey {
  privateKey: KeyObject
  /** The ssh-ed25519 public key blob (string "ssh-ed25519", string key). */
  publicBlob: Buffer
  fingerprint: string
  comment: string
}

/** A public key a restore trusts, from a public key line or an allowed_signers line. */
export interface TrustedKey {
  publicKey: KeyObject
  publicBlob: Buffer
  fingerprint: string
  /** The comment, or the principals of an allowed_signers line: how the key is named in messages. */
  label: string
  /** An allowed_signers line's `namespaces=` list, or null when the key is not limited to some. */
  namespaces: string[] | null
}

/** Thrown with a message that says what is wrong with the key text; the caller names the input. */
export class KeyFormatError extends Error {}

/** ssh-keygen's fingerprint form: 'SHA256:' and the unpadded base64 of the blob's SHA-256. */
export function fingerprintOf(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`
}

export function ed25519Blob(rawPublic: Buffer): Buffer {
  return Buffer.concat([wireString(ED25519), wireString(rawPublic)])
}

/**
 * Parses an OpenSSH private key file's text (PROTOCOL.key). Only what the signer needs is accepted: one Ed25519 key,
 * not encrypted; a passphrase would have to be another secret, and the runner has nobody to type it.
 */
export function parsePrivateKey(text: string): SigningKey {
  const trimmed = text.trim()
  if (!trimmed.startsWith(PRIVATE_BEGIN)) {
    const other = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(trimmed)
    throw new KeyFormatError(
      other
        ? `it is a '${other[1]}' (PEM) key, not an OpenSSH Ed25519 private key`
        : trimmed.startsWith('ssh-') || trimmed.startsWith('ecdsa-')
          ? 'it is a public key; the private key file (without .pub) is needed'
          : `it does not start with '${PRIVATE_BEGIN}'`
    )
  }
  const end = trimmed.indexOf(PRIVATE_END)
  if (end < 0) throw new KeyFormatError(`it has no '${PRIVATE_END}' line (cut short?)`)
  const body = Buffer.from(trimmed.slice(PRIVATE_BEGIN.length, end).replace(/\s+/g, ''), 'base64')
  if (!body.subarray(0, AUTH_MAGIC.length).equals(AUTH_MAGIC))
    throw new KeyFormatError('it is not an openssh-key-v1 key')
  try {
    const r = new WireReader(body.subarray(AUTH_MAGIC.length), 'the private key')
    const cipher = r.text()
    const kdf = r.text()
    r.string()
    if (cipher !== 'none' || kdf !== 'none') {
      throw new KeyFormatError(
        `it is protected by a passphrase (cipher ${cipher}); remove it with: ssh-keygen -p -N '' -f <key file>`
      )
    }
    const count = r.uint32()
    if (count !== 1) throw new KeyFormatError(`it holds ${count} keys; give exactly one`)
    const publicBlob = r.string()
    const type = new WireReader(publicBlob, 'the public key').text()
    if (type !== ED25519) throw new KeyFormatError(`it is a '${type}' key; only Ed25519 ('${ED25519}') keys sign`)
    const secret = new WireReader(r.string(), 'the private section')
    if (secret.uint32() !== secret.uint32()) throw new KeyFormatError('its check numbers differ (damaged key)')
    if (secret.text() !== ED25519) throw new KeyFormatError('its private part is not an Ed25519 key')
    const rawPublic = secret.string()
    const rawSecret = secret.string()
    const comment = secret.text()
    if (rawPublic.length !== 32 || rawSecret.length !== 64 || !rawSecret.subarray(32).equals(rawPublic)) {
      throw new KeyFormatError('its Ed25519 key material has the wrong size (damaged key)')
    }
    if (!ed25519Blob(rawPublic).equals(publicBlob)) throw new KeyFormatError('its public and private parts differ')
    const privateKey = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: rawSecret.subarray(0, 32).toString('base64url'),
        x: rawPublic.toString('base64url')
      },
      format: 'jwk'
    })
    return { privateKey, publicBlob, fingerprint: fingerprintOf(publicBlob), comment }
  } catch (error) {
    if (error instanceof KeyFormatError) throw error
    throw new KeyFormatError(`${(error as Error).message} (damaged key)`)
  }
}

/** The public half of an ssh-ed25519 blob as a KeyObject; throws KeyFormatError for any other blob. */
export function publicKeyFromBlob(blob: Buffer): KeyObject {
  const r = new WireReader(blob, 'the public key')
  let type: string
  let raw: Buffer
  try {
    type = r.text()
    if (type !== ED25519)
      throw new KeyFormatError(`it is a '${type}' key; only Ed25519 ('${ED25519}') keys are supported`)
    raw = r.string()
  } catch (error) {
    if (error instanceof KeyFormatError) throw error
    throw new KeyFormatError(`${(error as Error).message}`)
  }
  if (raw.length !== 32 || r.remaining !== 0) throw new KeyFormatError('its Ed25519 key has the wrong size')
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
}

/**
 * One trusted key from a line in either form ssh-keygen knows: a public key line ('ssh-ed25519 AAAA… comment', as in
 * a .pub file) or an allowed_signers line ('principals [options] ssh-ed25519 AAAA… [comment]').
 */
export function parseTrustedKey(line: string): TrustedKey {
  const tokens = line.trim().split(/\s+/)
  const at = tokens.findIndex(t => /^(ssh-|ecdsa-|sk-)/.test(t))
  if (at < 0 || at + 1 >= tokens.length) {
    throw new KeyFormatError("it holds no public key (expected 'ssh-ed25519 AAAA… comment')")
  }
  if (tokens[at] !== ED25519) {
    throw new KeyFormatError(`it is a '${tokens[at]}' key; only Ed25519 ('${ED25519}') keys are supported`)
  }
  const publicBlob = Buffer.from(tokens[at + 1], 'base64')
  if (publicBlob.toString('base64').replace(/=+$/, '') !== tokens[at + 1].replace(/=+$/, '')) {
    throw new KeyFormatError('its key is not valid base64')
  }
  const publicKey = publicKeyFromBlob(publicBlob)
  const label = (at > 0 ? tokens[0] : tokens.slice(at + 2).join(' ')) || fingerprintOf(publicBlob)
  const namespaces = signerOptions(tokens.slice(1, Math.max(1, at)))
  return { publicKey, publicBlob, fingerprint: fingerprintOf(publicBlob), label, namespaces }
}

/**
 * The options of an allowed_signers line, as ssh-keygen would apply them: `namespaces="a,b"` limits the key to those
 * namespaces (so a key listed for git commits only is not trusted for backups); options that would need more than
 * this verifier does (certificate authorities, validity windows) are refused rather than silently ignored.
 */
function signerOptions(options: string[]): string[] | null {
  let namespaces: string[] | null = null
  for (const option of splitOptions(options.join(' '))) {
    const [name, ...rest] = option.split('=')
    const value = rest.join('=').replace(/^"(.*)"$/, '$1')
    if (name.toLowerCase() === 'namespaces') namespaces = value.split(',').filter(n => n !== '')
    else throw new KeyFormatError(`its option '${name}' is not supported here; remove it (only 'namespaces=' is)`)
  }
  return namespaces
}

/** Splits 'a="x,y",b' at the commas outside quotes. */
function splitOptions(text: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  for (const char of text) {
    if (char === '"') quoted = !quoted
    if (char === ',' && !quoted) {
      out.push(current)
      current = ''
    } else current += char
  }
  if (current !== '') out.push(current)
  return out.filter(o => o !== '')
}

/** Whether an allowed_signers namespace pattern list admits `namespace` ('*' and '?' wildcards, as ssh-keygen). */
export function admitsNamespace(key: TrustedKey, namespace: string): boolean {
  if (key.namespaces === null) return true
  return key.namespaces.some(pattern => {
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`
    )
    return regex.test(namespace)
  })
}
