import { rm } from 'node:fs/promises'
import { authenticate } from '../signing/authenticate.js'
import type { TrustedKey } from '../signing/ssh-keys.js'
import { SignatureError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import type { Logger } from '../shared/logger.js'
import { makePrivateTempDir } from '../shared/private-files.js'
import type { BackupStorage, FoundBackup } from '../storage/index.js'

/** Signatures read at once: each is one small request. */
const CONCURRENCY = 8

/**
 * With 'trusted-signers', the backups a rotation may count: those whose signature companion holds a valid signature
 * by a trusted key over a statement naming that very backup (and, where the store records one, its digest). Anyone
 * who can add files to a store can give them times that win a day or a week from the real backups; a forged backup
 * cannot carry a trusted signature. Returns the names that fail, each with the reason. A store that cannot be read
 * fails the rotation (nothing is deleted then). The cache keeps a backup and its signature in one entry, so reading
 * the signature means downloading the backup: there the times the cache service records are relied on, and it says so.
 */
export async function untrustedBackups(
  storage: BackupStorage,
  listed: readonly FoundBackup[],
  trusted: readonly TrustedKey[],
  logger: Logger
): Promise<{ untrusted: Map<string, string>; notes: string[] }> {
  const untrusted = new Map<string, string>()
  if (trusted.length === 0) return { untrusted, notes: [] }
  if (storage.kind === 'cache') {
    const note =
      `'${Input.TrustedSigners}' is not checked by the rotation of cache entries: a signature there comes only with ` +
      `its whole backup. The cache service's own times decide.`
    logger.info(note)
    return { untrusted, notes: [note] }
  }
  const workDir = await makePrivateTempDir('xlr-backup-rotation-')
  try {
    for (let i = 0; i < listed.length; i += CONCURRENCY) {
      await Promise.all(
        listed.slice(i, i + CONCURRENCY).map(async found => {
          const reason = await distrust(storage, found, trusted, workDir, logger)
          if (reason !== null) untrusted.set(found.name, reason)
        })
      )
    }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
  return { untrusted, notes: [] }
}

async function distrust(
  storage: BackupStorage,
  found: FoundBackup,
  trusted: readonly TrustedKey[],
  workDir: string,
  logger: Logger
): Promise<string | null> {
  try {
    const statement = authenticate(found.name, await storage.fetchSignature(found, workDir, logger), trusted)
    if (found.sha256 !== null && found.sha256 !== statement.sha256) {
      return `its signature is for sha256 ${statement.sha256}, the stored backup has ${found.sha256}`
    }
    return null
  } catch (error) {
    if (error instanceof SignatureError) return error.message
    throw error
  }
}
