import { createHash } from 'node:crypto'
import { Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ZipWriter } from '../archive/zip-writer.js'
import { countTreeBytes } from '../archive/count-tree.js'
import { ExcludeMatcher } from '../archive/exclude.js'
import {
  HOME_PREFIX,
  MANIFEST_ENTRY,
  type DatabaseRecord,
  type FileRecord,
  type Manifest
} from '../archive/manifest.js'
import { createEncryptStream } from '../crypto/index.js'
import type { EncryptionSettings } from '../crypto/types.js'
import type { DumpResult } from '../database/types.js'
import type { HomeInfo } from '../home/types.js'
import type { Logger } from '../shared/logger.js'
import { createPrivateWriteStream } from '../shared/private-files.js'
import { Progress } from '../shared/progress.js'
import { buildManifest } from './build-manifest.js'

export interface BackupFileRequest {
  home: HomeInfo
  dumps: DumpResult[]
  /** Embedded databases: recorded in the manifest, held by the home archive. */
  embedded: DatabaseRecord[]
  /** Where to write (a storage staging path). */
  file: string
  compressionLevel: number
  threads: number
  exclude: string[]
  /** Encrypt as it is written, so no plaintext copy ever reaches the disk. */
  encryption: EncryptionSettings | null
  logger: Logger
}

export interface WrittenBackup {
  manifest: Manifest
  /** Bytes of the file written (ciphertext when encrypted). */
  size: number
  /** SHA-256 of the file written. */
  sha256: string
  /** Bytes of content read from the home and the dumps. */
  contentBytes: number
  seconds: number
}

/**
 * Writes the backup file in one sequential pass: the home under 'home/', each dump under its prefix, the manifest
 * last; through the age encryptor when asked; hashed on the way to the disk. Throws (leaving a partial file for the
 * caller to discard) on any error.
 */
export async function writeBackupFile(req: BackupFileRequest): Promise<WrittenBackup> {
  const started = Date.now()
  const exclude = ExcludeMatcher.parse(req.exclude)
  const progress = new Progress('Archived', null, req.logger)
  const dumpBytes = req.dumps.reduce((n, d) => n + (d.record.dump?.bytes ?? 0), 0)
  // Counted alongside the archive, which starts at once; until the count is in, progress shows no percentage.
  countTreeBytes(req.home.path, exclude).then(
    bytes => progress.setTotal(bytes + dumpBytes),
    () => undefined
  )
  const out = await createPrivateWriteStream(req.file)
  const digest = new DigestStream()
  const encryptor = req.encryption ? await createEncryptStream(req.encryption) : null
  const head: Writable = encryptor ?? digest
  const written = encryptor ? pipeline(encryptor, digest, out) : pipeline(digest, out)
  // Reported by the writer's own rejection; this keeps an early stream error from being unhandled meanwhile.
  written.catch(() => undefined)
  const writer = new ZipWriter(head, {
    compressionLevel: req.compressionLevel,
    threads: req.threads,
    progress,
    logger: req.logger
  })
  try {
    const files: FileRecord[] = await writer.addTree(req.home.path, HOME_PREFIX, { exclude })
    const databases: DatabaseRecord[] = [...req.embedded]
    for (const dump of req.dumps) {
      const prefix = dump.record.dump?.prefix
      if (!prefix) throw new Error(`dump of ${dump.record.roles.join('+')} has no prefix`)
      files.push(...(await writer.addTree(dump.dir, prefix, { exclude: [] })))
      databases.push(dump.record)
    }
    const manifest = buildManifest({
      home: req.home,
      files,
      databases,
      exclusions: req.exclude,
      createdAt: new Date(started),
      encryption: req.encryption
        ? { format: 'age', recipients: req.encryption.recipients.length, passphrase: !!req.encryption.passphrase }
        : undefined
    })
    await writer.addBuffer(MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest)), 0o600)
    await writer.finish()
    await written
    req.logger.info(progress.line())
    return {
      manifest,
      size: digest.bytes,
      sha256: digest.hex(),
      contentBytes: progress.done.bytes,
      seconds: (Date.now() - started) / 1000
    }
  } catch (error) {
    head.destroy(error as Error)
    await written.catch(() => undefined)
    throw error
  }
}

/** Passes bytes through while hashing and counting them: the stored file's SHA-256 without reading it again. */
class DigestStream extends Transform {
  private readonly hash = createHash('sha256')
  bytes = 0
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    this.push(chunk)
    callback()
  }
  hex(): string {
    return this.hash.digest('hex')
  }
}
