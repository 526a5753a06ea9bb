import { SignatureError } from '../shared/errors.js'
import { companionName, splitCompanion } from './companion.js'
import { admitsNamespace, type TrustedKey } from './ssh-keys.js'
import { SignatureFormatError, verifySshsig } from './sshsig.js'
import { parseStatement, SIGNATURE_NAMESPACE, type Statement } from './statement.js'

const SIGNERS_INPUT = 'trusted-signers'
const SIGNING_INPUT = 'signing-key'

/**
 * Decides, from the backup's companion alone, whether the backup may be fetched at all: it must carry a signature,
 * in our namespace, by a key in 'trusted-signers', over a statement that names this very backup. What it returns is
 * what the backup's bytes and manifest must then match.
 */
export function authenticate(
  backup: string,
  companion: string | null,
  trusted: readonly TrustedKey[]
): Statement & { signer: TrustedKey } {
  if (companion === null) {
    throw new SignatureError(
      `Backup ${backup} is not signed (no ${companionName(backup)} next to it), and '${SIGNERS_INPUT}' is set, so only ` +
        `backups signed by one of its keys are restored. Sign backups with '${SIGNING_INPUT}', or pick a signed backup.`
    )
  }
  const parts = splitCompanion(companion)
  if (!parts) {
    throw new SignatureError(
      `The signature file ${companionName(backup)} of backup ${backup} holds no SSH signature: the backup is refused.`
    )
  }
  let info
  try {
    info = verifySshsig(Buffer.from(parts.statement, 'utf8'), parts.signature, SIGNATURE_NAMESPACE)
  } catch (error) {
    if (!(error instanceof SignatureFormatError)) throw error
    throw new SignatureError(
      `The signature of backup ${backup} (${companionName(backup)}) is not valid: ${error.message}. The backup is refused.`
    )
  }
  const listed = trusted.find(k => k.publicBlob.equals(info.publicBlob))
  const signer = listed && admitsNamespace(listed, SIGNATURE_NAMESPACE) ? listed : undefined
  if (listed && !signer) {
    throw new SignatureError(
      `Backup ${backup} is signed by key ${info.fingerprint} (${listed.label}), which '${SIGNERS_INPUT}' allows only for ` +
        `namespaces ${listed.namespaces?.join(',')}: the backup is refused. Add '${SIGNATURE_NAMESPACE}' to its namespaces= option.`
    )
  }
  if (!signer) {
    throw new SignatureError(
      `Backup ${backup} is signed by key ${info.fingerprint}, which is not in '${SIGNERS_INPUT}': the backup is refused. ` +
        `If that key is yours, add its public key line ('ssh-ed25519 AAAA…') to '${SIGNERS_INPUT}'.`
    )
  }
  const statement = parseStatement(parts.statement)
  if (!statement) {
    throw new SignatureError(
      `Backup ${backup} is signed by ${signer.label} (${info.fingerprint}), but the signed text is not an xlr-backup ` +
        `statement: the backup is refused.`
    )
  }
  if (statement.file !== backup) {
    throw new SignatureError(
      `The signature next to backup ${backup} was made for another backup, ${statement.file} (key ${info.fingerprint}): ` +
        `the backup is refused.`
    )
  }
  return { ...statement, signer }
}
