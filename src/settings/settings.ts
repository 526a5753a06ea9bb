import type { DatabaseSettings } from '../database/types.js'
import type { StorageKind } from '../storage/types.js'
import type { EncryptionSettings, DecryptionSettings } from '../crypto/types.js'
import type { SigningKey, TrustedKey } from '../signing/ssh-keys.js'

export type Mode = 'backup' | 'restore' | 'verify'

/** Everything a run needs, parsed and validated from the inputs (action) or flags (CLI). */
export interface Settings {
  mode: Mode
  /** Absolute path of the server home ('' for verify, which touches no home). */
  home: string
  storage: StorageSettings
  backup: BackupSettings
  server: ServerSettings
  database: DatabaseSettings
  restore: RestoreSettings
  encryption: EncryptionSettings
  decryption: DecryptionSettings
  requireEncryption: boolean
  signing: SigningSettings
  /** 0 = every core. */
  threads: number
}

export interface StorageSettings {
  kind: StorageKind
  /** Folder of backups for 'directory'; temp folder otherwise ('' = the runner's temp). */
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
}

export interface RunTrust {
  anyRun: boolean
  /** '' = the repository's default branch. */
  branch: string
  /** A workflow file name ('nightly.yml'), '' = any. */
  workflow: string
}

export interface SigningSettings {
  /** Backup: the key that signs it, or null for an unsigned backup. */
  key: SigningKey | null
  /** Restore/verify: when not empty, only backups signed by one of these keys are accepted. */
  trustedSigners: TrustedKey[]
}

export interface BackupSettings {
  compressionLevel: number
  exclude: string[]
}

export interface ServerSettings {
  port: number | null
  stopCommand: string
  startCommand: string
  stopTimeoutSeconds: number
  startTimeoutSeconds: number
}

export interface RestoreSettings {
  components: string
  previousPath: string
  safetyDump: boolean
  resetIndexes: 'auto' | 'true' | 'false'
  allowVersionMismatch: boolean
  allowForeignDatabase: boolean
  createDatabase: boolean
  interrupted: '' | 'rollback' | 'finish'
  dryRun: boolean
}
