import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import type { Writable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import { ZipWriter, type AddTreeOptions, type WrittenEntry } from '../../archive/zip-writer.js'
import { OwnerTable } from './owner-table.js'
import { countTreeBytes } from '../../archive/count-tree.js'
import { ExcludeMatcher } from '../../archive/exclude.js'
import { HOME_PREFIX, MANIFEST_ENTRY, type DatabaseRecord } from '../../format/manifest.js'
import { createEncryptStream } from '../../crypto/index.js'
import type { EncryptionSettings } from '../../crypto/types.js'
import type { DumpResult } from '../../database/types.js'
import type { HomeInfo } from '../../home/types.js'
import type { Logger } from '../../shared/logger.js'
import { makePrivateTempDir, openPrivateFile } from '../../shared/private-files.js'
import { Progress } from '../../shared/progress.js'
import { hashFile } from '../../shared/hash-file.js'
import { HashingFileSink } from './hashing-file-sink.js'
import { buildManifestHead, type ManifestHead } from './build-manifest.js'
import { writeManifestFile } from './manifest-file.js'
import { RecordSpool } from './record-spool.js'
import { RecordTotals } from './record-totals.js'

export interface BackupFileRequest {
  home: HomeInfo
  dumps: DumpResult[]
  /** Embedded databases: recorded in the manifest, held by the home archive. */
  embedded: DatabaseRecord[]
  /** Where to write (a storage staging path). */
  file: string
  /** A private folder for the manifest while it is written (its entries are spooled there, not held in memory). */
  workDir: string
  compressionLevel: number
  threads: number
  exclude: string[]
  /** Encrypt as it is written, so no plaintext copy ever reaches the disk. */
  encryption: EncryptionSettings | null
  logger: Logger
  /** Where the home is read from when not from `home.path`: its snapshot, archived under the same names. */
  homeSource?: HomeSource
}

/** A copy of the home to archive as the home: its folder, and the modes and mtimes its source had. */
export interface HomeSource {
  root: string
  recordedAs: NonNullable<AddTreeOptions['recordedAs']>
}

export interface WrittenBackup {
  /** The manifest written, but its list of entries (which only the archive holds). */
  manifest: ManifestHead
  /** Entries of the manifest that are not folders: the files and links of the home and the dumps. */
  files: number
  /** Bytes of the file written (ciphertext when encrypted). */
  size: number
  /** SHA-256 of the file written. */
  sha256: string
  /** SHA-256 of the manifest.json entry's content (what a signature pins besides the file). */
  manifestSha256: string
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
  // The manifest's entries go to the disk as they are written, so memory does not grow with the home.
  const spoolDir = await makePrivateTempDir('manifest-', req.workDir)
  let records: RecordSpool | null = null
  try {
    records = await RecordSpool.create(path.join(spoolDir, 'files.json'))
    return await writeArchive(req, records, spoolDir)
  } finally {
    await records?.close().catch(() => undefined)
    await rm(spoolDir, { recursive: true, force: true })
  }
}

async function writeArchive(req: BackupFileRequest, records: RecordSpool, spoolDir: string): Promise<WrittenBackup> {
  const started = Date.now()
  const exclude = ExcludeMatcher.parse(req.exclude)
  const progress = new Progress('Archived', null, req.logger)
  const dumpBytes = req.dumps.reduce((n, d) => n + (d.record.dump?.bytes ?? 0), 0)
  // Counted alongside the archive, which starts at once; until the count is in, progress shows no percentage.
  const homeRoot = req.homeSource?.root ?? req.home.path
  const counted = countTreeBytes(homeRoot, exclude).then(
    bytes => progress.setTotal(bytes + dumpBytes),
    () => undefined
  )
  const digest = new HashingFileSink(await openPrivateFile(req.file))
  const encryptor = req.encryption ? await createEncryptStream(req.encryption) : null
  const head: Writable = encryptor ?? digest
  const written = encryptor ? pipeline(encryptor, digest) : finished(digest)
  // Reported by the writer's own rejection; this keeps an early stream error from being unhandled meanwhile.
  written.catch(() => undefined)
  const writer = new ZipWriter(head, {
    compressionLevel: req.compressionLevel,
    threads: req.threads,
    onProgress: (bytes, files) => progress.add(bytes, files),
    logger: req.logger,
    // The sink calls back once a chunk is in the file; the encryptor seals each chunk before it calls back.
    reusesBuffersAfterWrite: true
  })
  try {
    const totals = new RecordTotals()
    const owners = new OwnerTable()
    const onRecord = (entry: WrittenEntry): Promise<void> | undefined => {
      const record = owners.record(entry)
      totals.add(record)
      return records.add(record)
    }
    await writer.addTree(homeRoot, HOME_PREFIX, { exclude, onRecord, recordedAs: req.homeSource?.recordedAs })
    const databases: DatabaseRecord[] = [...req.embedded]
    for (const dump of req.dumps) {
      const prefix = dump.record.dump?.prefix
      if (!prefix) throw new Error(`dump of ${dump.record.roles.join('+')} has no prefix`)
      await writer.addTree(dump.dir, prefix, { exclude: [], onRecord })
      databases.push(dump.record)
    }
    await records.close()
    const manifest = buildManifestHead({
      home: req.home,
      components: totals.componentSummaries(),
      databases,
      exclusions: req.exclude,
      owners: await owners.records(),
      createdAt: new Date(started),
      encryption: req.encryption
        ? { format: 'age', recipients: req.encryption.recipients.length, passphrase: !!req.encryption.passphrase }
        : undefined
    })
    const manifestFile = path.join(spoolDir, MANIFEST_ENTRY)
    await writeManifestFile(manifestFile, manifest, records.file)
    const manifestSha256 = (await hashFile(manifestFile)).sha256
    await writer.addFile(MANIFEST_ENTRY, manifestFile, 0o600)
    await writer.finish()
    await written
    // The last line carries the total too, however quickly a small home was archived.
    await counted
    progress.finish()
    return {
      manifest,
      files: totals.files,
      size: digest.bytes,
      sha256: digest.hex(),
      manifestSha256,
      contentBytes: progress.done.bytes,
      seconds: (Date.now() - started) / 1000
    }
  } catch (error) {
    head.destroy(error as Error)
    await written.catch(() => undefined)
    throw error
  }
}
