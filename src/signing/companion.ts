import { signSshsig } from './sshsig.js'
import type { SigningKey } from './ssh-keys.js'
import { SIGNATURE_NAMESPACE, statementText, type Statement } from './statement.js'

/**
 * The signature file that travels with a backup ('<backup file>.sig'): the statement text, then the armored SSH
 * signature of exactly those bytes. One file, so each storage keeps one companion; `sed` splits it for ssh-keygen.
 */
export const SIGNATURE_SUFFIX = '.sig'
/** Far more than a statement and an Ed25519 signature take; a larger companion is refused unread. */
export const MAX_COMPANION_BYTES = 16 * 1024
const SIGNATURE_BEGIN = '-----BEGIN SSH SIGNATURE-----'

export function companionName(backupFile: string): string {
  return backupFile + SIGNATURE_SUFFIX
}

export function isCompanionName(name: string): boolean {
  return name.endsWith(SIGNATURE_SUFFIX)
}

export function makeCompanion(statement: Statement, key: SigningKey): string {
  const text = statementText(statement)
  return text + signSshsig(Buffer.from(text, 'utf8'), key, SIGNATURE_NAMESPACE)
}

/** Splits a companion into the signed text and the armored signature; null when it has no signature block. */
export function splitCompanion(companion: string): { statement: string; signature: string } | null {
  // The block starts a line: at the very start (an empty statement) or after the statement's last newline.
  const at = companion.startsWith(SIGNATURE_BEGIN) ? 0 : companion.indexOf(`\n${SIGNATURE_BEGIN}`) + 1
  if (at === 0 && !companion.startsWith(SIGNATURE_BEGIN)) return null
  return { statement: companion.slice(0, at), signature: companion.slice(at) }
}
