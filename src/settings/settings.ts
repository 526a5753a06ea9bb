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
  /** Input `owner`: the owner every restored entry gets; null = the recorded owners. */
  owner: OwnerSpec | null
  allowKeystoreMismatch: boolean
  maintenanceMode: 'auto' | 'true' | 'false'
}

/** 'user:group' as given: each side a name or a number, checked for form only (the host is asked at restore). */
export interface OwnerSpec {
  user: string | number
  group: string | number
}
