import { createHash, randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { rankingTime } from '../rotation/backup-time.js'
import { IntegrityError, StorageError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { Progress } from '../shared/progress.js'
import { createPrivateWriteStream, currentRunFolder } from '../shared/private-files.js'
import { Input } from '../shared/io-names.js'
import { companionName, isCompanionName, MAX_COMPANION_BYTES } from '../signing/companion.js'
import { hashFile } from './digest.js'
import { checkBackupName, describeQuery, isExactMatch, listNames } from './names.js'
import { META_CREATED_AT, META_SHA256, type ObjectClient, type Retention, type StoredObject } from './object-client.js'
import { partSizeFor, PART_LIMITS } from './part-size.js'
import { createStagingFile } from './staging.js'
import type { BackupQuery, BackupStorage, FoundBackup, PublishedBackup } from './types.js'

export interface ObjectStorageOptions {
  kind: 's3' | 'azure'
  /** Key prefix inside the bucket ('' = the top); backups are '<prefix>/<name>'. */
  prefix: string
  immutableDays: number | null
  immutableMode: 'governance' | 'compliance'
  /** Parts sent at once. */
  parallel: number
  /** Smallest part size; tests set it low to make a small backup span several parts. */
  minPartBytes?: number
  /** Where the backup is written before it is uploaded (default: the run's private folder). */
  stagingDir?: string
}

/** Heads fetched at once while a prefix's candidates are dated (S3 lists no metadata). */
const HEAD_CONCURRENCY = 8

/**
 * Backups as objects in an S3 bucket or Azure container, through an ObjectClient. The backup is written to a local
 * file first, then uploaded in parts under its final key, which exists only once the upload is complete. Each object
 * carries the backup's SHA-256 and time as metadata; fetch recomputes the digest while downloading and refuses a
 * mismatch. The signature companion '<key>.sig' is stored first, so a visible backup always has it.
 */
export class ObjectStorage implements BackupStorage {
  readonly kind: 's3' | 'azure'

  constructor(
    private readonly client: ObjectClient,
    private readonly options: ObjectStorageOptions,
    private readonly now: () => Date = () => new Date()
  ) {
    this.kind = options.kind
  }

  async preflight(logger: Logger): Promise<void> {
    const probe = this.key(`.xlr-backup-preflight-${randomBytes(6).toString('hex')}`)
    await this.client.preflight(probe, this.retention())
    const lock = this.retention()
    logger.info(
      `Checked ${this.client.where}: reachable, credentials accepted, writing allowed` +
        (lock ? `, retention (${lock.mode}, ${this.options.immutableDays} days) can be set.` : '.')
    )
  }

  async stagingPath(fileName: string): Promise<string> {
    checkBackupName(fileName)
    return await createStagingFile(this.options.stagingDir ?? currentRunFolder() ?? os.tmpdir(), fileName)
  }

  async publish(
    stagedFile: string,
    fileName: string,
    logger: Logger,
    written?: { sha256: string; size: number; createdAt?: string },
    signature?: string
  ): Promise<PublishedBackup> {
    checkBackupName(fileName)
    const key = this.key(fileName)
    try {
      const { sha256, size } = written ?? (await hashFile(stagedFile))
      if (await this.client.head(key)) {
        throw new StorageError(
          `${this.client.url(key)} already exists and is never overwritten: give the backup another '${Input.Name}'.`
        )
      }
      const retention = this.retention()
      if (signature !== undefined) await this.client.writeSmall(companionName(key), signature, retention)
      const partSize = partSizeFor(size, PART_LIMITS[this.kind], this.options.minPartBytes)
      const progress = new Progress(`Uploaded ${fileName}`, size, logger)
      let reported = 0
      await this.client.upload(stagedFile, key, {
        size,
        sha256,
        metadata: { [META_SHA256]: sha256, [META_CREATED_AT]: written?.createdAt ?? this.now().toISOString() },
        retention,
        partSize,
        parallel: this.options.parallel,
        onBytes: sent => {
          if (sent > reported) progress.add(sent - reported)
          reported = Math.max(reported, sent)
        }
      })
      progress.finish()
      const url = this.client.url(key)
      logger.info(
        `Stored ${url} (${size} bytes in parts of ${partSize}, sha256 ${sha256})` +
          (retention ? `, under ${retention.mode} retention until ${retention.until.toISOString()}.` : '.')
      )
      return { name: fileName, location: url, size, sha256, objectUrl: url }
    } finally {
      await rm(stagedFile, { force: true })
    }
  }

  async discard(stagedFile: string): Promise<void> {
    await rm(stagedFile, { force: true })
  }

  async find(query: BackupQuery, logger: Logger): Promise<FoundBackup> {
    const stem = 'name' in query ? query.name : query.prefix
    const listed = (await this.backups(stem)).filter(o =>
      'name' in query ? isExactMatch(this.nameOf(o), query.name) : true
    )
    if (listed.length === 0) throw this.notFound(query, await this.backups(stem.slice(0, Math.max(1, stem.length - 8))))
    if ('name' in query && listed.length > 1) {
      throw new StorageError(
        `Several backups in ${this.client.where} match name '${query.name}': ${listNames(listed.map(o => this.nameOf(o)))}. ` +
          `Set '${Input.Name}' to the full file name of the one to use.`
      )
    }
    const dated = await this.withMetadata(listed)
    // Newest by the backup's own time (kept in its metadata), not by listing order or upload time; then the name.
    // A time claimed after the upload is not believed: the upload time ranks that object instead.
    const now = this.now().getTime()
    const ranked = dated.map(o => ({ o, rank: rankingTime(this.found(o), now) ?? 0 }))
    ranked.sort((a, b) => b.rank - a.rank || (a.o.key < b.o.key ? 1 : a.o.key > b.o.key ? -1 : 0))
    const chosen = ranked[0].o
    if ('prefix' in query) {
      logger.info(
        `Newest backup starting with '${query.prefix}' in ${this.client.where}: ${this.nameOf(chosen)} (of ${dated.length})`
      )
    }
    return this.found(chosen)
  }

  async list(prefix: string): Promise<FoundBackup[]> {
    return (await this.withMetadata(await this.backups(prefix))).map(o => this.found(o))
  }

  async remove(found: FoundBackup, logger: Logger): Promise<'deleted' | 'locked'> {
    const outcome = await this.client.remove(found.ref)
    if (outcome === 'locked') return 'locked'
    await this.client.remove(companionName(found.ref))
    logger.info(`Deleted ${this.client.url(found.ref)}${outcome === 'absent' ? ' (it was already gone)' : ''}.`)
    return 'deleted'
  }

  async fetch(found: FoundBackup, destDir: string, logger: Logger): Promise<string> {
    const dest = path.join(destDir, found.name)
    const hash = createHash('sha256')
    const progress = new Progress(`Downloaded ${found.name}`, found.size, logger)
    let size = 0
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk)
        size += chunk.length
        progress.add(chunk.length)
        callback(null, chunk)
      }
    })
    try {
      const body = await this.client.download(found.ref)
      await pipeline(body, tap, await createPrivateWriteStream(dest))
    } catch (error) {
      await rm(dest, { force: true })
      if (error instanceof StorageError) throw error
      throw new StorageError(`Downloading ${this.client.url(found.ref)} failed: ${(error as Error).message}`, {
        cause: error
      })
    }
    progress.finish()
    const sha256 = hash.digest('hex')
    if (found.sha256 === null) {
      logger.warning(
        `${this.client.url(found.ref)} carries no '${META_SHA256}' metadata, so its bytes cannot be checked as a whole ` +
          `(the archive's own checks still run). SHA-256 of the download: ${sha256}.`
      )
    } else if (sha256 !== found.sha256) {
      await rm(dest, { force: true })
      throw new IntegrityError(
        `Backup ${this.client.url(found.ref)} does not match its digest: expected sha256 ${found.sha256}, downloaded ` +
          `${sha256}. The stored object is damaged or was changed after it was written; restore refused. Pick another backup with '${Input.Name}'.`
      )
    }
    logger.info(`Downloaded ${found.name} (${size} bytes, sha256 matches the one stored with it).`)
    return dest
  }

  async fetchSignature(found: FoundBackup): Promise<string | null> {
    return await this.client.readSmall(companionName(found.ref), MAX_COMPANION_BYTES)
  }

  private retention(): Retention | null {
    const days = this.options.immutableDays
    if (days === null) return null
    return { mode: this.options.immutableMode, until: new Date(this.now().getTime() + days * 86_400_000) }
  }

  private key(name: string): string {
    return this.options.prefix ? `${this.options.prefix}/${name}` : name
  }

  private nameOf(object: StoredObject): string {
    return object.key.slice(this.options.prefix ? this.options.prefix.length + 1 : 0)
  }

  /** The backups (not companions, not other "folders" below the prefix) whose names start with `stem`. */
  private async backups(stem: string): Promise<StoredObject[]> {
    const objects = await this.client.list(this.key(stem))
    return objects.filter(o => {
      const name = this.nameOf(o)
      return !name.includes('/') && !name.startsWith('.') && !isCompanionName(name) && isBackupName(name)
    })
  }

  private async withMetadata(objects: StoredObject[]): Promise<StoredObject[]> {
    const out: StoredObject[] = []
    for (let i = 0; i < objects.length; i += HEAD_CONCURRENCY) {
      const batch = objects.slice(i, i + HEAD_CONCURRENCY)
      out.push(...(await Promise.all(batch.map(async o => (o.metadata ? o : ((await this.client.head(o.key)) ?? o))))))
    }
    return out
  }

  private found(object: StoredObject): FoundBackup {
    const sha = object.metadata?.[META_SHA256]
    const created = createdAtOf(object)
    return {
      name: this.nameOf(object),
      ref: object.key,
      size: object.size,
      sha256: sha && /^[0-9a-f]{64}$/.test(sha) ? sha : null,
      createdAt: created === null ? null : new Date(created).toISOString(),
      storedAt: object.lastModified ? object.lastModified.toISOString() : null
    }
  }

  private notFound(query: BackupQuery, near: StoredObject[]): StorageError {
    const names = near.map(o => this.nameOf(o)).reverse()
    const hint = names.length > 0 ? ` Similar names there: ${listNames(names)}.` : ''
    return new StorageError(`No backup found in ${this.client.where}: looked for ${describeQuery(query)}.${hint}`)
  }
}

/** The backup's own time from its metadata, else when the store wrote it; null when neither can be read. */
function createdAtOf(object: StoredObject): number | null {
  const own = Date.parse(object.metadata?.[META_CREATED_AT] ?? '')
  if (Number.isFinite(own)) return own
  return object.lastModified ? object.lastModified.getTime() : null
}

/** A name the backup writer gives (checked as a backup name: no path separators, no control characters). */
function isBackupName(name: string): boolean {
  try {
    checkBackupName(name)
    return true
  } catch {
    return false
  }
}
