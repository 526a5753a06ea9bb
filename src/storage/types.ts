import type { Logger } from '../shared/logger.js'
import type { PendingCheck } from '../shared/pending-check.js'

/** Where finished backups go and where restore finds them. One implementation per `storage` input value. */
export interface BackupStorage {
  readonly kind: StorageKind
  /**
   * Checks, before the server is stopped, that a backup can be stored: the bucket or container exists, the
   * credentials work and may write, and retention can be set when asked for (object stores).
   */
  preflight?(logger: Logger): Promise<void>
  /**
   * A local path where the backup file may be written while it is made. For `directory` it sits in the
   * destination folder under a temporary name, so publishing is a rename and a crash leaves no file that looks done.
   */
  stagingPath(fileName: string): Promise<string>
  /**
   * Makes a finished staged file the backup called `fileName`; the staged file is consumed. `written` is the digest
   * the writer computed on the way to the disk, so the file need not be read again. `signature` is the companion
   * text (statement and SSH signature) stored alongside as '<fileName>.sig'.
   */
  publish(
    stagedFile: string,
    fileName: string,
    logger: Logger,
    written?: { sha256: string; size: number; createdAt?: string },
    signature?: string
  ): Promise<PublishedBackup>
  /** Removes a staged file after a failure (never throws when it is already gone). */
  discard(stagedFile: string): Promise<void>
  /** Removes unfinished backups that dead runs left where this storage stages (storage: directory). */
  removeStalePartials?(logger: Logger): Promise<string[]>
  /** Finds one backup: by exact name, or the newest whose name starts with a prefix. */
  find(query: BackupQuery, logger: Logger): Promise<FoundBackup>
  /**
   * Fetches a found backup into `destDir` (streamed, digest checked) and returns the local file path. A backend whose
   * backups are local files may return the stored file itself, checked in place: callers only read it.
   */
  fetch(found: FoundBackup, destDir: string, logger: Logger): Promise<string>
  /**
   * Backends whose backups are local files (directory): the stored file's path at once, with the check of its
   * whole-file digest still running. The caller may read the file meanwhile but must await `digest.result()` before
   * it trusts the backup with anything outside its own work folders (a restore: before its first swap).
   */
  readInPlace?(found: FoundBackup, logger: Logger): { path: string; digest: PendingCheck }
  /**
   * The text of the found backup's signature companion ('<name>.sig'), or null when it has none. Read before the
   * backup itself is fetched, so an untrusted backup is refused before a byte of it is used.
   */
  fetchSignature(found: FoundBackup, destDir: string, logger: Logger): Promise<string | null>
  /** Drops what fetchSignature kept for a fetch that will not happen now (the cache's restored entry). */
  forget?(): Promise<void>
  /**
   * Every stored backup whose name starts with `prefix`, listed to the end (all pages), each with `createdAt` = the
   * backup's own time where the store keeps it (else the store's creation time; null when it cannot be read).
   */
  list(prefix: string, logger: Logger): Promise<FoundBackup[]>
  /**
   * Deletes one listed backup and its companions ('.sig' etc.). 'locked' when the store refuses because the object
   * is under retention / immutability (rotation skips it with a note); throws StorageError on other failures.
   */
  remove(found: FoundBackup, logger: Logger): Promise<'deleted' | 'locked'>
}

export type StorageKind = 'directory' | 'artifact' | 'cache' | 's3' | 'azure'

export interface PublishedBackup {
  name: string
  /** Local path for `directory`; the artifact or cache key otherwise. */
  location: string
  size: number
  /** Hex SHA-256 of the stored file (ciphertext when encrypted). */
  sha256: string
  artifactId?: number
  artifactUrl?: string
  cacheKey?: string
  /** Object stores: 's3://bucket/key' or the blob's URL. */
  objectUrl?: string
}

export type BackupQuery = { name: string } | { prefix: string }

export interface FoundBackup {
  name: string
  /** Backend-specific handle (a path, an artifact id, a cache key). */
  ref: string
  size: number | null
  /** Hex SHA-256 the fetched bytes must match, when the backend knows it. */
  sha256: string | null
  createdAt: string | null
  /**
   * When the store recorded receiving the backup, a time its writer cannot choose (S3/Azure Last-Modified, a file's
   * ctime): `createdAt` after it is not believed (rotation/backup-time.ts). Absent where `createdAt` already is the
   * store's own time (artifacts, cache entries).
   */
  storedAt?: string | null
  /** Artifact storage: the artifact's id, and the run that holds it (absent = this run). */
  artifactId?: number
  workflowRunId?: number
}

/** The storage inputs, as parseSettings checked them. */
export interface StorageSettings {
  kind: StorageKind
  /** Folder of backups for 'directory'; where 'artifact' stages the file ('' = the runner's temp); unused by 'cache'. */
  path: string
  /** Backup: the name to give (always set after parsing). Restore: an exact name, or ''. */
  name: string
  /** Restore: newest backup whose name starts with this. */
  namePrefix: string
  /** Another run's id (artifact storage), or null for this run. */
  runId: number | null
  repository: string
  githubToken: string
  retentionDays: number | null
  /** Which runs' artifacts a repository-wide search may take (absent = the default: default branch, no pull requests). */
  trust?: RunTrust
  /** Object stores: the S3 bucket or Azure container ('path' is the key prefix inside it). */
  bucket: string
  /** S3: the service URL ('' = AWS); Azure: the account URL. */
  endpoint: string
  region: string
  forcePathStyle: boolean
  /** Object stores: days each new backup stays under retention (S3 Object Lock / Azure immutability), or null. */
  immutableDays: number | null
  immutableMode: 'governance' | 'compliance'
  /** Object stores: parts sent or fetched at once (the 'threads' input; 0 = every core). */
  threads?: number
}

export interface RunTrust {
  anyRun: boolean
  /** '' = the repository's default branch. */
  branch: string
  /** A workflow file name ('nightly.yml'), '' = any. */
  workflow: string
}
