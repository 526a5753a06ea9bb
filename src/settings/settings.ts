import type { DatabaseSettings } from '../database/types.js'
import type { StorageSettings } from '../storage/types.js'
import type { EncryptionSettings, DecryptionSettings } from '../crypto/types.js'
import type { SigningKey, TrustedKey } from '../signing/ssh-keys.js'

export type { StorageSettings }

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

export interface SigningSettings {
  /** Backup: the key that signs it, or null for an unsigned backup. */
  key: SigningKey | null
  /** Restore/verify: when not empty, only backups signed by one of these keys are accepted. */
  trustedSigners: TrustedKey[]
}

/** 'minimal': the server is down only while the moment is captured; 'full': until the backup file is written. */
export type Downtime = 'minimal' | 'full'

export interface BackupSettings {
  compressionLevel: number
  exclude: string[]
  downtime: Downtime
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
