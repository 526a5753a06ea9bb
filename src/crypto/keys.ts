import { Decrypter, Encrypter } from 'age-encryption'
import { InputError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import type { DecryptionSettings, EncryptionSettings } from './types.js'

/**
 * Key text comes from users pasting into secrets, so accept what `age-keygen` writes (comment and blank lines) and
 * explain every mistake by line number. Key material is never echoed: a "public key" line may really be a
 * half-pasted secret.
 */

interface KeyLine {
  line: number
  text: string
}

/** Splits the input's entries into lines, dropping blanks and `#` comments (the layout of an age-keygen key file). */
function keyLines(entries: string[]): KeyLine[] {
  const result: KeyLine[] = []
  let line = 0
  for (const entry of entries) {
    for (const raw of entry.split(/\r?\n/)) {
      line++
      const text = raw.trim()
      if (text !== '' && !text.startsWith('#')) result.push({ line, text })
    }
  }
  return result
}

const SSH_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-|sk-(ssh|ecdsa)-|-----BEGIN [A-Z ]*PRIVATE KEY-----)/
const KEYGEN_HINT = "Make a key pair with 'age-keygen -o key.txt'; 'age-keygen -y key.txt' prints its public key."

/**
 * Returns the age recipients of `encryption-recipients`, validated. Native X25519 keys (`age1…`) and post-quantum
 * hybrid keys (`age1pq1…`) are accepted: this tool can decrypt both. Plugin, tag and SSH recipients are refused,
 * because a backup this tool cannot open again is a backup that fails when it is needed.
 */
export function parseRecipients(entries: string[]): string[] {
  const input = Input.EncryptionRecipients
  const recipients: string[] = []
  for (const { line, text } of keyLines(entries)) {
    const where = `Line ${line} of '${input}'`
    if (/^AGE-SECRET-KEY-/i.test(text) || /^AGE-PLUGIN-/i.test(text)) {
      throw new InputError(
        input,
        `${where} is an age secret key. The backup job must never hold the secret key: give its public key ('age1…', printed by 'age-keygen -y key.txt') and keep the secret key for 'decryption-identity' in a protected environment. Treat this secret key as leaked and make a new pair.`
      )
    }
    if (SSH_KEY.test(text)) {
      throw new InputError(
        input,
        `${where} is an SSH key. This tool encrypts to age keys only ('age1…'). ${KEYGEN_HINT}`
      )
    }
    if (!text.startsWith('age1')) {
      throw new InputError(input, `${where} is not an age public key: they start with 'age1'. ${KEYGEN_HINT}`)
    }
    // An X25519 recipient's bech32 data has no '1'; a longer prefix ('age1pq1', 'age1tag1', 'age1yubikey1') names
    // another kind of recipient.
    const kind = text.slice(0, text.lastIndexOf('1') + 1)
    if (kind !== 'age1' && kind !== 'age1pq1') {
      throw new InputError(
        input,
        `${where} is a '${kind}…' recipient (a plugin or hardware key), which this tool cannot decrypt for a restore. Use a native age key ('age1…'). ${KEYGEN_HINT}`
      )
    }
    try {
      new Encrypter().addRecipient(text)
    } catch (error) {
      throw new InputError(
        input,
        `${where} is not a valid age public key (its checksum or length is wrong); copy it again from 'age-keygen -y key.txt'.`,
        { cause: error }
      )
    }
    if (!recipients.includes(text)) recipients.push(text)
  }
  return recipients
}

/** Returns the age identities of `decryption-identity`, validated (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`). */
export function parseIdentities(entries: string[]): string[] {
  const input = Input.DecryptionIdentity
  const identities: string[] = []
  for (const { line, text } of keyLines(entries)) {
    const where = `Line ${line} of '${input}'`
    if (text.startsWith('age1')) {
      throw new InputError(
        input,
        `${where} is an age public key (a recipient). Decryption needs the secret key: the 'AGE-SECRET-KEY-1…' line of the key file age-keygen wrote.`
      )
    }
    if (SSH_KEY.test(text)) {
      throw new InputError(
        input,
        `${where} is an SSH key, which this tool cannot use. Decrypt such a backup by hand with 'age -d -i <ssh key>', or use an age key.`
      )
    }
    if (/^AGE-PLUGIN-/i.test(text)) {
      throw new InputError(
        input,
        `${where} is an age plugin identity, which this tool cannot use. Decrypt such a backup by hand with 'age -d' and the plugin.`
      )
    }
    if (!/^AGE-SECRET-KEY-(PQ-)?1/i.test(text)) {
      throw new InputError(input, `${where} is not an age secret key: they start with 'AGE-SECRET-KEY-1'.`)
    }
    try {
      new Decrypter().addIdentity(text.toUpperCase())
    } catch (error) {
      throw new InputError(
        input,
        `${where} is not a valid age secret key (its checksum or length is wrong); copy it again from the key file.`,
        { cause: error }
      )
    }
    if (!identities.includes(text.toUpperCase())) identities.push(text.toUpperCase())
  }
  return identities
}

/** True when the settings ask for an encrypted backup. */
export function encryptionEnabled(settings: EncryptionSettings): boolean {
  return settings.recipients.some(r => r.trim() !== '') || (settings.passphrase ?? '') !== ''
}

/** True when the settings hold anything that could open an encrypted backup. */
export function decryptionKeysGiven(settings: DecryptionSettings): boolean {
  return keyLines(settings.identities).length > 0 || (settings.passphrase ?? '') !== ''
}

export interface CheckedEncryption {
  recipients: string[]
  passphrase?: string
}

/**
 * Validates encryption settings before any I/O. age cannot put a passphrase and public keys in one file (the spec
 * forbids mixing scrypt with other recipients), and silently dropping either would make a backup that the user
 * believes opens with the other; so both together is an error.
 */
export function checkEncryptionSettings(settings: EncryptionSettings): CheckedEncryption {
  const recipients = parseRecipients(settings.recipients)
  const passphrase = settings.passphrase === '' ? undefined : settings.passphrase
  if (passphrase !== undefined && recipients.length > 0) {
    throw new InputError(
      Input.EncryptionPassphrase,
      `Set either '${Input.EncryptionRecipients}' or '${Input.EncryptionPassphrase}', not both: an age file is encrypted to public keys or to one passphrase, never both. Prefer recipients: the backup job then holds no secret that can decrypt.`
    )
  }
  if (passphrase === undefined && recipients.length === 0) {
    throw new InputError(
      Input.EncryptionRecipients,
      `Encryption needs '${Input.EncryptionRecipients}' (age public keys) or '${Input.EncryptionPassphrase}'; both are empty.`
    )
  }
  return passphrase === undefined ? { recipients } : { recipients, passphrase }
}

export interface CheckedDecryption {
  identities: string[]
  passphrase?: string
}

/** Validates decryption settings before any I/O; an empty result is allowed (the caller may not need a key). */
export function checkDecryptionSettings(settings: DecryptionSettings): CheckedDecryption {
  const identities = parseIdentities(settings.identities)
  const passphrase = settings.passphrase === '' ? undefined : settings.passphrase
  return passphrase === undefined ? { identities } : { identities, passphrase }
}
