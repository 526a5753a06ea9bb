import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { openBackupArchive, type BackupArchive } from '../archive/backup-archive.js'
import { assertEncryptedIfRequired, createDecryptStream, decryptionKeysGiven } from '../crypto/index.js'
import { EncryptionError, SignatureError } from '../shared/errors.js'
import { authenticate } from '../signing/authenticate.js'
import type { Statement } from '../signing/statement.js'
import type { Logger } from '../shared/logger.js'
import { createPrivateWriteStream } from '../shared/private-files.js'
import type { PendingCheck } from '../shared/pending-check.js'
import { Progress } from '../shared/progress.js'
import { Input } from '../settings/inputs.js'
import type { Settings } from '../settings/settings.js'
import { createStorage } from '../storage/index.js'
import type { BackupStorage, FoundBackup } from '../storage/types.js'

export interface FetchedBackup {
  found: FoundBackup
  /** The plaintext ZIP in `workDir` (decrypted when the stored file was encrypted). */
  zipFile: string
  encrypted: boolean
  /** Bytes of the stored file. */
  storedBytes: number
  /** What the trusted signature pinned (null when 'trusted-signers' is not set): the manifest must match it. */
  signed: Statement | null
  /**
   * The stored file's whole-file digest check: passed already, unless `digestLater` let a backup read in place be
   * hashed beside the reading that follows (then await it before anything outside the work folders changes).
   */
  digest: PendingCheck
}

const PASSED: PendingCheck = { result: async () => undefined }

/**
 * Finds the backup the inputs ask for, fetches it into `workDir` (digest checked by the storage), and decrypts an
 * age file into a plaintext ZIP there. The decrypted file is used only once the age stream has ended without an
 * error: a truncated or tampered file fails here, before anything reads it.
 */
export async function fetchBackup(
  settings: Settings,
  workDir: string,
  logger: Logger,
  options: { digestLater?: boolean } = {}
): Promise<FetchedBackup> {
  const storage = await createStorage(settings.storage, logger)
  const query = settings.storage.name ? { name: settings.storage.name } : { prefix: settings.storage.namePrefix }
  let found = await storage.find(query, logger)
  logger.info(
    `Backup ${found.name}${found.createdAt ? ` (made ${found.createdAt})` : ''} from ${settings.storage.kind}.`
  )
  let signed: Statement | null = null
  if (settings.signing.trustedSigners.length > 0) {
    const statement = await checkSignature(storage, found, settings, workDir, logger)
    // From here on the signed digest is the one the fetched bytes must have, whatever the storage recorded.
    found = { ...found, sha256: statement.sha256 }
    signed = statement
  }
  const pinned = found
  let digest = PASSED
  let stored: string
  if (options.digestLater && storage.readInPlace) {
    const inPlace = storage.readInPlace(pinned, logger)
    stored = inPlace.path
    digest = inPlace.digest
  } else {
    stored = await logger.group(`Fetch ${found.name}`, async () => storage.fetch(pinned, workDir, logger))
  }
  const { size } = await stat(stored)
  const encrypted = await assertEncryptedIfRequired(stored, settings.requireEncryption).catch(
    async (error: unknown) => {
      // A damaged file says so first, as when the digest was checked before anything else.
      await digest.result()
      throw error
    }
  )
  if (!encrypted) return { found, zipFile: stored, encrypted, storedBytes: size, signed, digest }
  // Decrypting reads the whole file anyway: the digest is settled first, as for every other fetch.
  await digest.result()
  digest = PASSED
  if (!decryptionKeysGiven(settings.decryption)) {
    throw new EncryptionError(
      `The backup ${found.name} is encrypted (age); set '${Input.DecryptionIdentity}' (an AGE-SECRET-KEY-1… from a secret) or '${Input.EncryptionPassphrase}' to open it.`
    )
  }
  const zipFile = path.join(workDir, `${path.basename(stored).replace(/\.age$/, '')}.decrypted`)
  await logger.group(`Decrypt ${found.name}`, async () => {
    const decryptor = await createDecryptStream(settings.decryption)
    try {
      const progress = new Progress('Decrypted', size, logger)
      // Counted inside the pipeline: a 'data' listener would start the file flowing before the pipeline is joined
      // (while the output file is opened), and the chunks read meanwhile would never reach the decryptor.
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          progress.add(chunk.length)
          callback(null, chunk)
        }
      })
      const out = await createPrivateWriteStream(zipFile)
      await pipeline(createReadStream(stored, { highWaterMark: 1024 * 1024 }), counter, decryptor, out)
      progress.finish()
    } catch (error) {
      await rm(zipFile, { force: true })
      throw error
    }
  })
  // A downloaded copy is ours to remove; a backup read in place (storage: directory) is the user's.
  if (path.dirname(path.resolve(stored)) === path.resolve(workDir)) await rm(stored, { force: true })
  return { found, zipFile, encrypted, storedBytes: size, signed, digest }
}

/**
 * Refuses the backup unless its companion holds a valid signature, by a key of 'trusted-signers', over a statement
 * for this backup whose digest agrees with what the storage recorded. Runs before the backup is fetched.
 */
async function checkSignature(
  storage: BackupStorage,
  found: FoundBackup,
  settings: Settings,
  workDir: string,
  logger: Logger
): Promise<Statement> {
  try {
    const companion = await storage.fetchSignature(found, workDir, logger)
    const statement = authenticate(found.name, companion, settings.signing.trustedSigners)
    if (found.sha256 !== null && found.sha256 !== statement.sha256) {
      throw new SignatureError(
        `Backup ${found.name} is not the file its signature names: the signature (key ${statement.signer.fingerprint}) ` +
          `is for sha256 ${statement.sha256}, the stored backup has ${found.sha256}. The backup is refused.`
      )
    }
    logger.info(
      `Signature of ${found.name} checked: signed by ${statement.signer.label} (${statement.signer.fingerprint}), sha256 ${statement.sha256}.`
    )
    return statement
  } catch (error) {
    await storage.forget?.()
    throw error
  }
}

/**
 * fetchBackup, then the ZIP opened, its manifest checked against the signature: what restore and verify both start
 * from. The archive is closed here if that check refuses it; otherwise the caller closes it.
 */
export async function fetchAndOpenBackup(
  settings: Settings,
  workDir: string,
  logger: Logger,
  options: { digestLater?: boolean } = {}
): Promise<{ fetched: FetchedBackup; archive: BackupArchive }> {
  const fetched = await fetchBackup(settings, workDir, logger, options)
  let archive: BackupArchive
  try {
    archive = await openBackupArchive(fetched.zipFile)
  } catch (error) {
    // A file that does not match its digest is reported as that, not as whatever its damage broke.
    await fetched.digest.result()
    throw error
  }
  try {
    checkSignedManifest(fetched, archive.manifestSha256)
  } catch (error) {
    await archive.close()
    await fetched.digest.result()
    throw error
  }
  return { fetched, archive }
}

/** The opened archive's manifest must be the one the signature named (the file's digest already pins it too). */
function checkSignedManifest(fetched: FetchedBackup, manifestSha256: string): void {
  if (fetched.signed && fetched.signed.manifestSha256 !== manifestSha256) {
    throw new SignatureError(
      `The manifest of backup ${fetched.found.name} is not the one its signature names (signed manifest sha256 ` +
        `${fetched.signed.manifestSha256}, found ${manifestSha256}). The backup is refused.`
    )
  }
}
