import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { access, link, lstat, mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import * as path from 'node:path'
import { rankingTime } from '../rotation/backup-time.js'
import { IntegrityError, StorageError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { Progress } from '../shared/progress.js'
import { PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { ownerIsGone, ownerTag, parseOwnerTag } from '../lifecycle/owner-tag.js'
import { hashFile, parseSidecar, refuseExisting, sidecarText } from './digest.js'
import { checkBackupName, describeQuery, isExactMatch, listNames } from './names.js'
import { readCompanion } from './companion-file.js'
import { createStagingFile } from './staging.js'
import { companionName, isCompanionName } from '../signing/companion.js'
import type { BackupQuery, BackupStorage, FoundBackup, PublishedBackup } from './types.js'
import { pendingCheck, type PendingCheck } from '../shared/pending-check.js'
import { Input } from '../shared/io-names.js'

const SIDECAR = '.sha256'
/** `.<file>.partial-<owner>-<random>`; older versions wrote `.<file>.partial-<random>`, without the owner. */
const PARTIAL = /^\..+\.partial-(?:(\d+\.\d+\.[0-9a-f]{8})-)?[0-9a-f]{12}$/
/** A partial file nobody wrote to for this long belongs to no live run, whoever made it. */
export const STALE_PARTIAL_MS = 48 * 3600 * 1000

/**
 * Backups as files in one folder (a NAS or mounted share on a self-hosted runner). A backup is written under a
 * hidden `.name.partial-*` name in the same folder, then hard-linked to its final name, so a crash never leaves a
 * file that looks finished and an existing backup is never replaced. `<file>.sha256` (sha256sum format) sits next
 * to each backup and is checked on every fetch. The partial name carries its writer (see owner-tag.ts), so a later
 * backup removes what a killed one left.
 */
export class DirectoryStorage implements BackupStorage {
  readonly kind = 'directory' as const

  constructor(readonly folder: string) {}

  async stagingPath(fileName: string): Promise<string> {
    checkBackupName(fileName)
    await this.ensureWritable()
    return await createStagingFile(this.folder, fileName, ownerTag())
  }

  async publish(
    stagedFile: string,
    fileName: string,
    logger: Logger,
    written?: { sha256: string; size: number },
    signature?: string
  ): Promise<PublishedBackup> {
    checkBackupName(fileName)
    const final = path.join(this.folder, fileName)
    const handle = await open(stagedFile, 'r+')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    // The writer hashed the bytes on their way to the disk; only a file staged by someone else is read again.
    const { sha256, size } = written ?? (await hashFile(stagedFile))
    await this.linkNoReplace(stagedFile, final)
    await this.writeBeside(fileName + SIDECAR, sidecarText(sha256, fileName))
    if (signature !== undefined) await this.writeBeside(companionName(fileName), signature)
    await syncFolder(this.folder)
    logger.info(`Stored ${final} (${size} bytes, sha256 ${sha256})`)
    return { name: fileName, location: final, size, sha256 }
  }

  async discard(stagedFile: string): Promise<void> {
    await rm(stagedFile, { force: true })
  }

  /**
   * Removes partial backups whose writer is provably gone (this host, its process ended) or that nobody wrote to for
   * two days (another host's, or from a version that did not name the writer); a live backup's file is never touched.
   */
  async removeStalePartials(logger: Logger, now: number = Date.now()): Promise<string[]> {
    const names = await readdir(this.folder).catch(() => [] as string[])
    const removed: string[] = []
    for (const name of names) {
      const m = PARTIAL.exec(name)
      if (!m) continue
      const file = path.join(this.folder, name)
      const info = await lstat(file).catch(() => null)
      if (!info?.isFile()) continue
      const owner = m[1] ? parseOwnerTag(m[1]) : null
      const dead = owner !== null && ownerIsGone(owner)
      const stale = now - info.mtimeMs > STALE_PARTIAL_MS
      if (!dead && !stale) continue
      try {
        await unlink(file)
        removed.push(file)
        logger.info(
          `Removed ${file} (${info.size} bytes): an unfinished backup ` +
            (dead
              ? `of a run (pid ${owner!.pid}) that ended without cleaning up.`
              : 'nobody has written to for two days.')
        )
      } catch (error) {
        logger.warning(`Could not remove the unfinished backup ${file}: ${(error as Error).message}.`)
      }
    }
    return removed
  }

  async find(query: BackupQuery, logger: Logger): Promise<FoundBackup> {
    const names = await this.backupNames()
    let chosen: string
    if ('name' in query) {
      const matches = names.filter(n => isExactMatch(n, query.name))
      if (matches.length > 1) {
        throw new StorageError(
          `Several backups in '${this.folder}' match name '${query.name}': ${listNames(matches)}. ` +
            `Set '${Input.Name}' to the full file name of the one to use.`
        )
      }
      if (matches.length === 0) throw this.notFound(query, names)
      chosen = matches[0]
    } else {
      const matches = names.filter(n => n.startsWith(query.prefix))
      if (matches.length === 0) throw this.notFound(query, names)
      const now = Date.now()
      const dated = await Promise.all(
        matches.map(async n => {
          const info = await stat(path.join(this.folder, n))
          return { n, time: rankingTime(fileTimes(info), now) ?? 0 }
        })
      )
      // Newest = stored last (mtime, unless it claims a time after the file's ctime), then the greater name: a
      // prefix shared by several hosts must not favour whichever host sorts last.
      dated.sort((a, b) => b.time - a.time || (a.n < b.n ? 1 : a.n > b.n ? -1 : 0))
      chosen = dated[0].n
      logger.info(`Newest backup starting with '${query.prefix}' in ${this.folder}: ${chosen} (of ${matches.length})`)
    }
    const file = path.join(this.folder, chosen)
    const info = await stat(file)
    return {
      name: chosen,
      ref: file,
      size: info.size,
      sha256: await readSidecar(file + SIDECAR),
      ...fileTimes(info)
    }
  }

  /**
   * Checks the stored file against its digest and hands back its own path: restore and verify only read it (the
   * archive is checked entry by entry again as it is read), so a copy would cost a full write for nothing.
   * `destDir` is unused: nothing is written.
   */
  async fetch(found: FoundBackup, _destDir: string, logger: Logger): Promise<string> {
    const { path: file, digest } = this.readInPlace(found, logger)
    await digest.result()
    return file
  }

  /**
   * The stored file's own path at once, and its digest check running beside whatever reads the file next (see
   * BackupStorage.readInPlace): a restore unpacks into its staging folder while the whole file is hashed.
   */
  readInPlace(found: FoundBackup, logger: Logger): { path: string; digest: PendingCheck } {
    const progress = new Progress(`Checked ${found.name}`, found.size, logger)
    const checked = hashFile(found.ref, progress)
      .catch((error: unknown) => {
        throw new StorageError(`Could not read backup ${found.ref}: ${(error as Error).message}`, { cause: error })
      })
      .then(({ sha256, size }) => {
        if (found.sha256 === null) {
          logger.warning(
            `${found.ref} has no ${path.basename(found.ref)}${SIDECAR} digest file, so its bytes cannot be checked as a ` +
              `whole (the archive's own checks still run). SHA-256 of the file: ${sha256}.`
          )
        } else if (sha256 !== found.sha256) {
          throw new IntegrityError(
            `Backup ${found.ref} does not match its digest file: expected sha256 ${found.sha256}, read ${sha256}. ` +
              `The stored file is damaged or was changed after it was written; restore refused. Pick another backup with '${Input.Name}'.`
          )
        }
        logger.info(`Checked ${found.ref} (${size} bytes, sha256 matches its digest file); it is read in place.`)
      })
    return { path: found.ref, digest: pendingCheck(checked) }
  }

  /**
   * A file that goes beside the backup (its digest, its signature), written under a fresh hidden name, then renamed
   * into place: whatever was left at the final name (a stale file, a symlink planted by whoever can write the folder)
   * is replaced, never written through.
   */
  private async writeBeside(name: string, text: string): Promise<void> {
    const staged = path.join(this.folder, `.${name}.partial-${randomBytes(6).toString('hex')}`)
    const handle = await open(staged, 'wx', PRIVATE_FILE_MODE)
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await rename(staged, path.join(this.folder, name))
    } catch (error) {
      await rm(staged, { force: true })
      throw error
    }
  }

  /** The backups under `prefix`, each dated by its file's modification time (when it was stored), and its ctime. */
  async list(prefix: string): Promise<FoundBackup[]> {
    const names = (await this.backupNames()).filter(n => n.startsWith(prefix))
    return await Promise.all(
      names.map(async name => {
        const file = path.join(this.folder, name)
        const info = await stat(file).catch(() => null)
        const times = info ? fileTimes(info) : { createdAt: null, storedAt: null }
        return { name, ref: file, size: info?.size ?? null, sha256: null, ...times }
      })
    )
  }

  /**
   * Deletes the backup file, then its digest and signature files. A file the system refuses to unlink with EPERM
   * (the immutable attribute, `chattr +i`, or a sticky folder owned by someone else) counts as locked.
   */
  async remove(found: FoundBackup, logger: Logger): Promise<'deleted' | 'locked'> {
    checkBackupName(found.name)
    const file = path.join(this.folder, found.name)
    try {
      await unlink(file)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EPERM') return 'locked'
      if (code !== 'ENOENT') {
        throw new StorageError(`Could not delete the backup ${file}: ${(error as Error).message}`, { cause: error })
      }
    }
    for (const companion of [found.name + SIDECAR, companionName(found.name)]) {
      await rm(path.join(this.folder, companion), { force: true }).catch((error: unknown) => {
        logger.warning(`Deleted ${file} but not ${companion} beside it: ${(error as Error).message}.`)
      })
    }
    await syncFolder(this.folder)
    return 'deleted'
  }

  async fetchSignature(found: FoundBackup): Promise<string | null> {
    return await readCompanion(path.join(this.folder, companionName(found.name)))
  }

  private async ensureWritable(): Promise<void> {
    try {
      await mkdir(this.folder, { recursive: true, mode: 0o700 })
      await access(this.folder, constants.W_OK | constants.X_OK)
    } catch (error) {
      throw new StorageError(
        `Input '${Input.Path}' (${this.folder}) is not a folder this runner can write to (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). ` +
          `Create it and give the runner's user write access, or point '${Input.Path}' elsewhere.`,
        { cause: error }
      )
    }
  }

  /** Hard link then unlink: atomic and never replaces a file. Shares without hard links fall back to a checked rename. */
  private async linkNoReplace(staged: string, final: string): Promise<void> {
    try {
      await link(staged, final)
      await unlink(staged)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw alreadyExists(final)
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') {
        throw new StorageError(`Could not store the backup as ${final}: ${(error as Error).message}`, { cause: error })
      }
    }
    await refuseExisting(final, alreadyExists)
    await rename(staged, final)
  }

  private async backupNames(): Promise<string[]> {
    let entries
    try {
      entries = await readdir(this.folder, { withFileTypes: true })
    } catch (error) {
      throw new StorageError(
        `Input '${Input.Path}' (${this.folder}) cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
          `it must be the folder that holds the backups.`,
        { cause: error }
      )
    }
    return entries
      .filter(
        e =>
          (e.isFile() || e.isSymbolicLink()) &&
          !e.name.startsWith('.') &&
          !e.name.endsWith(SIDECAR) &&
          !isCompanionName(e.name)
      )
      .map(e => e.name)
      .sort()
  }

  private notFound(query: BackupQuery, names: string[]): StorageError {
    const stem = 'name' in query ? query.name : query.prefix
    const near = names.filter(n => n.startsWith(stem.slice(0, Math.max(1, stem.length - 8)))).reverse()
    const hint =
      near.length > 0
        ? ` Similar names there: ${listNames(near)}.`
        : names.length === 0
          ? ' The folder holds no backups.'
          : ''
    return new StorageError(`No backup found in '${this.folder}': looked for ${describeQuery(query)}.${hint}`)
  }
}

async function readSidecar(file: string): Promise<string | null> {
  try {
    return parseSidecar(await readFile(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function alreadyExists(file: string): StorageError {
  return new StorageError(
    `${file} already exists and is never overwritten: give the backup another '${Input.Name}', or move the old file away.`
  )
}

/** Makes the rename itself durable; some shares refuse fsync on a folder, which costs nothing to ignore. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // not supported here
  }
}

/**
 * A stored file's time: its mtime, which anyone who can write the folder can set ('touch -d'), beside its ctime,
 * which the kernel sets to now on every such change, so an mtime after the ctime was not the store's doing.
 */
function fileTimes(info: Stats): { createdAt: string; storedAt: string } {
  return { createdAt: info.mtime.toISOString(), storedAt: info.ctime.toISOString() }
}
