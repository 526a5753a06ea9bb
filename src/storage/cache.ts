import * as cache from '@actions/cache'
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { InputError, IntegrityError, StorageError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { PRIVATE_DIR_MODE, writePrivateFile } from '../shared/private-files.js'
import { copyWithDigest, hashFile, parseSidecar, refuseExisting, sidecarText } from './digest.js'
import type { RunEnvironment } from './environment.js'
import { BACKUP_ENDINGS, checkBackupName, describeQuery } from './names.js'
import type { BackupQuery, BackupStorage, FoundBackup, PublishedBackup } from './types.js'
import { readCompanion } from './companion-file.js'
import { createStagingFile } from './staging.js'
import { companionName } from '../signing/companion.js'
import { CacheRestApi } from './cache-rest.js'
import { Input } from '../shared/io-names.js'

export const CACHE_KEY_PREFIX = 'xlr-backup-'

/**
 * The folder the cache entry holds, given to @actions/cache as a relative path. The client folds the path strings
 * into the entry's "version" and stores tar entries relative to the workspace: a fixed relative path therefore
 * matches on every runner, whatever its workspace folder is called.
 */
export const CACHE_FOLDER = '.xlr-backup-cache'
const SIDECAR = '.sha256'

/**
 * Backups in the Actions cache, one entry per backup under key `xlr-backup-<name>`: a tar of a folder holding the
 * backup file and its `.sha256`. Good for handing a backup to another job or workflow, and on GitHub Enterprise
 * Server; not for keeping backups (entries unused for 7 days are evicted, 10 GB per repository).
 */
export class CacheStorage implements BackupStorage {
  readonly kind = 'cache' as const
  private readonly folder: string
  /** The key whose entry fetchSignature left in the folder for fetch (one download for both). */
  private restored: string | null = null

  constructor(
    private readonly env: RunEnvironment,
    private readonly processEnv: NodeJS.ProcessEnv = process.env,
    /** For the rotation, which lists and deletes entries through the REST API ('' = none given). */
    private readonly rest: { githubToken: string; repository: string } = { githubToken: '', repository: '' }
  ) {
    this.folder = path.join(env.workspace, CACHE_FOLDER)
  }

  async stagingPath(fileName: string): Promise<string> {
    checkCacheName(fileName)
    this.requireRuntime()
    await this.freshFolder()
    return await createStagingFile(this.folder, fileName)
  }

  async publish(
    stagedFile: string,
    fileName: string,
    logger: Logger,
    _written?: { sha256: string; size: number },
    signature?: string
  ): Promise<PublishedBackup> {
    checkCacheName(fileName)
    const key = CACHE_KEY_PREFIX + fileName
    try {
      if (await this.lookup(key, [])) {
        throw new StorageError(
          `A cache entry '${key}' already exists and cache entries cannot be replaced: give the backup another '${Input.Name}'.`
        )
      }
      const { sha256, size } = await hashFile(stagedFile)
      const file = path.join(this.folder, fileName)
      await rename(stagedFile, file)
      await writePrivateFile(file + SIDECAR, sidecarText(sha256, fileName))
      // In the same entry: one key holds the backup, its digest and its signature, and a prefix lookup of keys
      // can never pick a signature up as a backup.
      if (signature !== undefined) await writePrivateFile(path.join(this.folder, companionName(fileName)), signature)
      let id: number
      try {
        id = await cache.saveCache([CACHE_FOLDER], key)
      } catch (error) {
        throw new StorageError(
          `Saving the backup to the Actions cache as '${key}' failed: ${(error as Error).message}`,
          { cause: error }
        )
      }
      // saveCache reports most failures as a log warning and returns -1; for a backup that is a failure.
      if (id === -1) {
        throw new StorageError(
          `The Actions cache did not store '${key}' (see the warning above: the key may already exist, the entry may exceed ` +
            `the 10 GB limit, or the cache service refused the write). The backup was not saved.`
        )
      }
      logger.info(`Saved cache entry '${key}' (id ${id}, backup ${size} bytes, sha256 ${sha256})`)
      return { name: fileName, location: key, size, sha256, cacheKey: key }
    } finally {
      await rm(this.folder, { recursive: true, force: true })
    }
  }

  async discard(stagedFile: string): Promise<void> {
    await rm(stagedFile, { force: true })
    if (path.dirname(stagedFile) === this.folder) await rm(this.folder, { recursive: true, force: true })
  }

  async find(query: BackupQuery, logger: Logger): Promise<FoundBackup> {
    this.requireRuntime()
    let key: string | undefined
    if ('name' in query) {
      const hits: string[] = []
      for (const ending of BACKUP_ENDINGS) {
        const hit = await this.lookup(CACHE_KEY_PREFIX + query.name + ending, [])
        if (hit) hits.push(hit)
      }
      if (hits.length > 1) {
        throw new StorageError(
          `Several cache entries match name '${query.name}': ${hits.map(h => `'${h}'`).join(', ')}. Set '${Input.Name}' to the full backup name.`
        )
      }
      key = hits[0]
    } else {
      const prefixKey = CACHE_KEY_PREFIX + query.prefix
      key = await this.lookup(prefixKey, [prefixKey])
      if (key) logger.info(`Newest cache entry starting with '${prefixKey}': '${key}'`)
    }
    if (!key) {
      throw new StorageError(
        `No cache entry found: looked for ${describeQuery(query)} under keys starting with '${CACHE_KEY_PREFIX}'. ` +
          `The cache only shows entries of this branch and the default branch, and evicts entries unused for 7 days.`
      )
    }
    return { name: key.slice(CACHE_KEY_PREFIX.length), ref: key, size: null, sha256: null, createdAt: null }
  }

  async fetchSignature(found: FoundBackup): Promise<string | null> {
    try {
      await this.restoreEntry(found)
      return await readCompanion(path.join(this.folder, companionName(found.name)))
    } catch (error) {
      await this.forget()
      throw error
    }
  }

  async forget(): Promise<void> {
    this.restored = null
    await rm(this.folder, { recursive: true, force: true })
  }

  async fetch(found: FoundBackup, destDir: string, logger: Logger): Promise<string> {
    const dest = path.join(destDir, found.name)
    try {
      await refuseExisting(dest)
      await this.restoreEntry(found)
      const file = path.join(this.folder, found.name)
      let expected: string | null
      try {
        expected = parseSidecar(await readFile(file + SIDECAR, 'utf8'))
      } catch (error) {
        throw new StorageError(
          `Cache entry '${found.ref}' does not hold ${found.name} and its digest: it was not saved by xlr-backup.`,
          { cause: error }
        )
      }
      const copied = await copyWithDigest(file, dest)
      // found.sha256 is set when a signature pins the digest: the entry's own sidecar is not enough then.
      for (const wanted of [expected, found.sha256]) {
        if (wanted !== null && copied.sha256 !== wanted) {
          await rm(dest, { force: true })
          throw new IntegrityError(
            `Backup '${found.name}' from cache entry '${found.ref}' does not match its ${wanted === expected ? 'digest' : 'signed digest'}: expected sha256 ${wanted}, read ${copied.sha256}. Restore refused.`
          )
        }
      }
      logger.info(`Restored cache entry '${found.ref}' (${copied.size} bytes, sha256 checked)`)
      return dest
    } finally {
      await this.forget()
    }
  }

  /**
   * The entries whose keys start with `xlr-backup-<prefix>`, of this run's branch (GITHUB_REF) only: a restore sees
   * this branch's entries, and a pull request's look-alike entries must not count. Dated by the service's creation
   * time; one backup per key.
   */
  async list(prefix: string, logger: Logger): Promise<FoundBackup[]> {
    const ref = this.processEnv.GITHUB_REF ?? ''
    const entries = await this.restApi().list(CACHE_KEY_PREFIX + prefix, ref)
    const byKey = new Map<string, FoundBackup>()
    for (const e of entries) {
      // The API matches by prefix already; checked again, since only our own keys may ever be deleted.
      if (!e.key.startsWith(CACHE_KEY_PREFIX + prefix) || (ref && e.ref !== ref)) continue
      const seen = byKey.get(e.key)
      if (seen && Date.parse(seen.createdAt ?? '') >= Date.parse(e.createdAt ?? '')) continue
      byKey.set(e.key, {
        name: e.key.slice(CACHE_KEY_PREFIX.length),
        ref: e.key,
        size: e.size,
        sha256: null,
        createdAt: e.createdAt
      })
    }
    logger.debug(`Listed ${byKey.size} cache entries under '${CACHE_KEY_PREFIX + prefix}'${ref ? ` of ${ref}` : ''}.`)
    return [...byKey.values()]
  }

  /** Deletes the entry (every version of its key on this branch). The cache has no lock. */
  async remove(found: FoundBackup, logger: Logger): Promise<'deleted' | 'locked'> {
    if (!found.ref.startsWith(CACHE_KEY_PREFIX)) throw new StorageError(`'${found.ref}' is not a backup's cache key.`)
    if (!(await this.restApi().deleteKey(found.ref, this.processEnv.GITHUB_REF ?? ''))) {
      logger.info(`Cache entry '${found.ref}' was already gone.`)
    }
    return 'deleted'
  }

  private restApi(): CacheRestApi {
    const repository = this.rest.repository || this.env.repository
    if (!this.rest.githubToken) {
      throw new InputError(
        Input.GithubToken,
        `Input '${Input.GithubToken}' is empty, but rotating '${Input.Storage}: cache' lists and deletes entries through ` +
          `the GitHub API: pass a token with 'actions: write' (the default '\${{ github.token }}' has it with 'permissions: { actions: write }').`
      )
    }
    if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
      throw new InputError(
        Input.Repository,
        `Rotating '${Input.Storage}: cache' needs the repository as 'owner/name' (GITHUB_REPOSITORY is not set here), got ${JSON.stringify(repository)}.`
      )
    }
    return new CacheRestApi(this.rest.githubToken, repository, this.env.apiUrl)
  }

  /** Downloads the entry of `found` into the (fresh) cache folder, unless fetchSignature already did. */
  private async restoreEntry(found: FoundBackup): Promise<void> {
    if (this.restored === found.ref) return
    await this.freshFolder()
    let hit: string | undefined
    try {
      hit = await cache.restoreCache([CACHE_FOLDER], found.ref)
    } catch (error) {
      throw new StorageError(`Restoring cache entry '${found.ref}' failed: ${(error as Error).message}`, {
        cause: error
      })
    }
    if (hit !== found.ref) {
      throw new StorageError(
        `Cache entry '${found.ref}' could not be downloaded (see the warning above); it may have just been evicted.`
      )
    }
    this.restored = found.ref
  }

  private async lookup(key: string, restoreKeys: string[]): Promise<string | undefined> {
    try {
      return await cache.restoreCache([CACHE_FOLDER], key, restoreKeys, { lookupOnly: true })
    } catch (error) {
      throw new StorageError(`Looking up cache key '${key}' failed: ${(error as Error).message}`, { cause: error })
    }
  }

  /** An empty, owner-only cache folder; anything left there belongs to an earlier run of ours and is dropped. */
  private async freshFolder(): Promise<void> {
    if (path.resolve(CACHE_FOLDER) !== this.folder) {
      throw new StorageError(
        `'${Input.Storage}: cache' must run with the workspace (${this.env.workspace}) as its current folder, found ${process.cwd()}: ` +
          `the Actions cache stores paths relative to it.`
      )
    }
    try {
      const left = await readdir(this.folder)
      if (left.length > 0) await rm(this.folder, { recursive: true, force: true })
    } catch {
      // absent: fine
    }
    await mkdir(this.folder, { recursive: true, mode: PRIVATE_DIR_MODE })
  }

  private requireRuntime(): void {
    if (
      !this.processEnv.ACTIONS_RUNTIME_TOKEN ||
      !(this.processEnv.ACTIONS_RESULTS_URL || this.processEnv.ACTIONS_CACHE_URL)
    ) {
      throw new StorageError(
        `'${Input.Storage}: cache' only works inside a GitHub Actions job (ACTIONS_RUNTIME_TOKEN and the cache service URL are not set). ` +
          `Outside Actions use '${Input.Storage}: directory' with a '${Input.Path}'.`
      )
    }
  }
}

/** Cache keys may not hold commas and are at most 512 characters (with our prefix). */
function checkCacheName(name: string): void {
  checkBackupName(name)
  if (name.includes(','))
    throw new InputError(
      Input.Name,
      `Input '${Input.Name}' (${JSON.stringify(name)}) contains a comma, which cache keys may not contain.`
    )
  if (CACHE_KEY_PREFIX.length + name.length > 512) {
    throw new InputError(
      Input.Name,
      `Input '${Input.Name}' is ${name.length} characters long; with '${Input.Storage}: cache' it may have at most ${512 - CACHE_KEY_PREFIX.length}.`
    )
  }
}
