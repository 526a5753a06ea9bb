import type { DatabaseSettings } from '../database/types.js'
import type { StorageSettings } from '../storage/types.js'
import type { EncryptionSettings, DecryptionSettings } from '../crypto/types.js'
import type { SigningKey, TrustedKey } from '../signing/ssh-keys.js'
import type { ClusterNode } from '../guard/cluster.js'
import type { KeepRules } from '../rotation/policy.js'

export type { StorageSettings }

export type Mode = 'backup' | 'restore' | 'verify' | 'prune'

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
  rotation: RotationSettings
}

/** Which backups under 'name-prefix' a rotation keeps (0 = rule off; all 0 = no rotation), and verify's age alarm. */
export interface RotationSettings extends KeepRules {
  /** Print the rotation plan and delete nothing ('dry-run'). */
  dryRun: boolean
  /** Verify: fail when the newest backup under 'name-prefix' is older than this; null = no alarm. */
  maxAgeSeconds: number | null
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
  /** '' for the server's own health URL, 'none' to wait for the port only, else an http(s) URL. */
  healthUrl: string
  /** The other cluster nodes (cluster-nodes), 'none' when this node is alone, null when the input is not set. */
  clusterNodes: ClusterNode[] | 'none' | null
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
