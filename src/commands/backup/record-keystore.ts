import type { DumpResult } from '../../database/types.js'
import { KEYSTORE_FILE, keystoreFingerprint, showFingerprint } from '../../home/keystore.js'
import type { Logger } from '../../shared/logger.js'

/**
 * Records with each dump the fingerprint of the keystore beside it (null: none), so a restore can refuse to pair
 * the dump with another keystore: the secrets the database stores are encrypted with that key.
 */
export async function recordKeystore(home: string, dumps: DumpResult[], logger: Logger): Promise<void> {
  if (dumps.length === 0) return
  const fingerprint = await keystoreFingerprint(home)
  for (const dump of dumps) dump.record.keystoreSha256 = fingerprint
  logger.info(
    fingerprint === null
      ? `The home has no ${KEYSTORE_FILE}: the dumps are recorded as made without one.`
      : `The dumps go with the keystore ${KEYSTORE_FILE} (${showFingerprint(fingerprint)}).`
  )
}
