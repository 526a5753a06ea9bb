import { constants as fsConstants } from 'node:fs'
import { chmod, lutimes, open, symlink, utimes } from 'node:fs/promises'
import { extractArchive, fileCreatorFor } from '../../archive/extract.js'
import type { FileCreatorPool } from '../../archive/file-creator-pool.js'
import { HOME_PREFIX } from '../../format/manifest.js'
import type { ArchiveEntry, BackupArchive } from '../../archive/backup-archive.js'
import { IntegrityError } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { Progress } from '../../shared/progress.js'
import type { Extractor } from '../../restore-engine/types.js'

const CREATE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW

/**
 * The restore engine's Extractor over an opened backup: folders through extractArchive (checked entry by entry as
 * they are written), single top-level files and links written here. Everything lands in the engine's staging
 * folder, so a damaged entry fails the restore before the home changes.
 */
export class ArchiveExtractor implements Extractor {
  /** One set of file-creating workers for every component, started with the first: close() ends them. */
  private creator: FileCreatorPool | null = null

  constructor(
    private readonly archive: BackupArchive,
    private readonly threads: number,
    private readonly logger: Logger
  ) {}

  async extract(prefix: string, dest: string): Promise<void> {
    if (prefix.endsWith('/')) {
      const { entries } = this.archive
      const own = entries.find(prefix)
      const bytes = entries.rowsUnder(prefix).reduce((n, row) => n + entries.size(row), 0)
      const progress = new Progress(`Unpacked ${prefix}`, bytes, this.logger)
      // The component goes inside the home: its links may point anywhere in the home (the reader refused the rest).
      this.creator ??= fileCreatorFor(this.threads)
      await extractArchive(this.archive, {
        prefix,
        dest,
        threads: this.threads,
        progress,
        linkRoot: HOME_PREFIX,
        creator: this.creator
      })
      progress.finish()
      // extractArchive creates `dest` owner-only; the component's own folder gets its recorded mode and time.
      if (own) {
        await chmod(dest, own.mode & 0o1777)
        await utimes(dest, own.mtime / 1000, own.mtime / 1000)
      }
      return
    }
    const entry = this.archive.entries.find(prefix)
    if (!entry) throw new IntegrityError(`the backup ${this.archive.file} holds no entry ${prefix}`)
    await this.writeSingle(entry, dest)
  }

  /** Ends the file-creating workers; call once the restore is over, however it ended. */
  async close(): Promise<void> {
    await this.creator?.close()
    this.creator = null
  }

  private async writeSingle(entry: ArchiveEntry, dest: string): Promise<void> {
    const seconds = entry.mtime / 1000
    if (entry.type === 'symlink') {
      // The reader refused links that leave the home when the archive was opened.
      await symlink(entry.target as string, dest)
      await lutimes(dest, seconds, seconds)
      return
    }
    const handle = await open(dest, CREATE_FLAGS, 0o600)
    try {
      await this.archive.readContent(entry, async chunk => {
        await handle.write(chunk)
      })
      await handle.chmod(entry.mode & 0o1777)
    } finally {
      await handle.close()
    }
    await utimes(dest, seconds, seconds)
  }
}
