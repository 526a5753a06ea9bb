import type { DatabaseRole } from '../home/types.js'
import type { FileRecord, Manifest } from '../format/manifest.js'
import type { Logger } from '../shared/logger.js'

/**
 * Writes entries of an already verified backup into the staging folder.
 * - `prefix` ends with '/' ('home/conf/'): every entry under it is written below `dest` (a folder the extractor
 *   creates, with the mode of the prefix's own directory entry), names relative to the prefix.
 * - otherwise (`home/README.txt`): the single entry (file or symlink) is written at `dest`.
 * Modes, links, empty folders and times come from the archive. The engine owns `dest`'s parent and never reads the zip.
 */
export interface Extractor {
  extract(prefix: string, dest: string): Promise<void>
}

/**
 * Restores the database dumps of the backup, one call per database. `roles` lists one role per database that has a
 * dump (two roles sharing a database appear once). Every method may be retried on a later run (interrupted restores),
 * so it must not keep state between calls beyond what is on disk.
 */
export interface DatabaseRestorer {
  readonly roles: DatabaseRole[]
  /** One line for the plan and the log: engine, host, port, database, user — never a password. */
  describe(role: DatabaseRole): string
  /** Dumps the database the role will be restored into, as it is now, into `destDir` (an empty owner-only folder). */
  safetyDump(role: DatabaseRole, destDir: string): Promise<void>
  /** Overwrites the role's target database with the backup's dump. */
  restore(role: DatabaseRole): Promise<void>
  /**
   * Puts back the database from a safety dump made by `safetyDump` into `safetyDumpDir`. Optional: without it a
   * failed restore leaves the database as the failed restore left it, and the error says so.
   */
  rollback?(role: DatabaseRole, safetyDumpDir: string): Promise<void>
  /** Bytes a safety dump is expected to take (for the space check); null when unknown. */
  estimateSafetyDumpBytes?(role: DatabaseRole): Promise<number | null>
}

/** A thing a restore replaces: a top-level entry of the home (folder or file), or the databases. */
export type Component = { kind: 'home'; name: string } | { kind: 'databases'; name: 'databases' }

export type ResetIndexesMode = 'auto' | 'true' | 'false'
export type InterruptedAction = '' | 'rollback' | 'finish'

/** What the engine needs to know about the backup: its manifest (already verified) and name. */
export interface BackupDescription {
  name: string
  /** `files`: walked once per question asked of it (an opened archive makes each record as it is walked). */
  manifest: Pick<Manifest, 'databases' | 'home'> & { files: Iterable<Pick<FileRecord, 'path' | 'type' | 'size'>> }
}

export interface RestoreRequest {
  /** The home to restore into (absolute). Created when absent (a drill host). */
  home: string
  backup: BackupDescription
  /** From `selectComponents`. */
  components: Component[]
  /** Where replaced things are kept; '' = `<home>/.xlr-restore-<id>/previous`. Must be on the home's filesystem. */
  previousPath: string
  /** Dump each database before overwriting it (input `safety-dump`, default true). */
  safetyDump: boolean
  resetIndexes: ResetIndexesMode
  /**
   * 'separate' when the databases are restored from dumps taken at another moment than the home archive (a JCR-era
   * database restored from its own dump): the JCR indexes no longer match it. Default 'backup'.
   */
  databaseSource?: 'backup' | 'separate'
  /** Input `interrupted-restore`. */
  interrupted: InterruptedAction
  dryRun: boolean
}

export interface StatfsResult {
  bavail: number
  bsize: number
  /** Inodes in all and free; 0 in all where the filesystem makes them as it goes (XFS, btrfs). */
  files?: number
  ffree?: number
}

export interface RestoreDeps {
  extractor: Extractor
  /** null when the backup has no dumps or databases are not restored. */
  databases: DatabaseRestorer | null
  logger: Logger
  /** Applied to the staged conf/ before the swap (restore drills point the conf at the drill database). */
  rewriteConf?: (stagedConfDir: string) => Promise<void>
  /**
   * Awaited once everything is staged, before the first swap: checks still running beside the staging (the backup
   * file's whole digest). A failure rolls back like a damaged entry does: the home is untouched.
   */
  beforeSwaps?: () => Promise<void>
  /** Free space of the filesystem holding `path` (default fs.statfs); injectable to simulate a full disk. */
  statfs?: (path: string) => Promise<StatfsResult>
  /** Called after each journal step is on disk. Tests use it to fail or die at a chosen step. */
  onStep?: (step: JournalStep, journal: Journal) => Promise<void> | void
  /** Restore id (default: UTC time + random suffix). */
  id?: string
}

export interface PlannedComponent {
  name: string
  /** 'replace' when the home has it now, 'add' when it does not. */
  action: 'replace' | 'add'
  current: { type: 'directory' | 'file' | 'symlink'; bytes: number; files: number } | null
  backup: { type: 'directory' | 'file' | 'symlink'; bytes: number; files: number }
  /** Where the current one is kept after the swap (null for 'add'). */
  keptAt: string | null
}

export interface PlannedDatabase {
  role: DatabaseRole
  target: string
  /** Folder the safety dump goes to, or null when `safety-dump` is off. */
  safetyDumpDir: string | null
}

export interface PlannedIndexReset {
  reset: boolean
  reason: string
  /** The index folders (relative to the home) whose contents will be moved aside; empty on SQL-era homes. */
  folders: string[]
}

export interface RestorePlan {
  id: string
  home: string
  homeExists: boolean
  backupName: string
  /** `<home>/.xlr-restore-<id>`: journal and staging; also the previous folder unless `previous-path` is set. */
  workDir: string
  stagingDir: string
  previousDir: string
  journalPath: string
  /** In swap order. */
  components: PlannedComponent[]
  databases: PlannedDatabase[]
  indexReset: PlannedIndexReset
  rewriteConf: boolean
  /** `freeInodes`: null where the filesystem has no fixed number of them. */
  space: {
    neededBytes: number
    freeBytes: number
    neededInodes: number
    freeInodes: number | null
    checkedPath: string
  }
  warnings: string[]
}

export interface RestoreResult {
  id: string
  /** Components swapped in, plus 'databases' when dumps were restored. */
  restored: string[]
  /** Folder that keeps what was replaced; null when nothing was (an empty home). */
  previousDir: string | null
  indexesReset: string[]
  /** Set when this run finished or rolled back an earlier interrupted restore. */
  interrupted?: { id: string; action: 'rollback' | 'finish' }
  plan: RestorePlan | null
}

export type JournalState = 'staging' | 'swapping' | 'done' | 'rolling-back' | 'rolled-back' | 'rollback-failed'

export type JournalStepKind =
  | 'staged'
  | 'conf-rewritten'
  | 'moved-aside'
  | 'moved-in'
  | 'safety-dump-started'
  | 'safety-dump-done'
  | 'db-restore-started'
  | 'db-restore-done'
  | 'index-reset-started'
  | 'index-reset-done'
  | 'index-restored'
  | 'db-rolled-back'
  | 'moved-out'
  | 'moved-back'

export interface JournalStep {
  kind: JournalStepKind
  /** Component name, database role or index folder. */
  target: string
  at: string
}

export interface Journal {
  format: 'xlr-restore-journal'
  /** 2 since the home's identity is recorded; version 1 journals lack it. */
  version: 1 | 2
  id: string
  /** Real path of the home. */
  home: string
  /** Device and inode of the home folder when the restore began: a copy of the home (same journal) has others. */
  homeIdentity?: { dev: number; ino: number }
  /** True when the restore created the home (it is removed again on rollback when empty). */
  homeCreated: boolean
  workDir: string
  stagingDir: string
  previousDir: string
  backupName: string
  startedAt: string
  state: JournalState
  /** Set once every component is staged and the first swap may happen: from then on the home may differ. */
  swapsBegan: boolean
  /** Components in swap order; `hadCurrent` = the home had it when the restore started. */
  components: { name: string; hadCurrent: boolean }[]
  databases: { role: DatabaseRole; safetyDumpDir: string | null }[]
  indexFolders: string[]
  steps: JournalStep[]
  /** Last failure, for the next run's message. */
  failure?: string
}
