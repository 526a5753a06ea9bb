import type { DatabaseRole } from '../home/types.js'
import type { DatabaseRecord } from '../format/manifest.js'
import type { Logger } from '../shared/logger.js'

export type Engine = 'postgresql' | 'mysql' | 'mariadb' | 'oracle' | 'sqlserver' | 'db2' | 'h2' | 'derby' | 'unknown'

export const ENGINES: readonly Engine[] = [
  'postgresql',
  'mysql',
  'mariadb',
  'oracle',
  'sqlserver',
  'db2',
  'h2',
  'derby',
  'unknown'
]

/** Engines this tool dumps and restores with the vendor's client tools; every other engine needs custom commands. */
export const BUILT_IN_ENGINES: readonly Engine[] = ['postgresql', 'mysql', 'mariadb']

/** One host of a (possibly multi-host) JDBC URL. */
export interface HostPort {
  host: string
  port: number | null
}

/** What a JDBC URL says, engine-neutral. Passwords found in the URL are in `params.password`: redact before showing. */
export interface ParsedJdbcUrl {
  engine: Engine
  /** First host (IPv6 without brackets); null for embedded or local-only URLs. */
  host: string | null
  /** Port as written; null when the URL gives none (the engine's default applies). */
  port: number | null
  /** Every host of a multi-host URL (PostgreSQL failover lists, MySQL load-balancing), first one first. */
  hosts: HostPort[]
  /** Database, SID or service name (Oracle), or the file path of an embedded database. */
  database: string | null
  /** URL parameters, decoded (sslmode, useSSL, encrypt, instanceName, sid, serviceName, descriptor, …). */
  params: Record<string, string>
  embedded: boolean
  /** Set when the URL could not be understood: what is wrong with it (never contains a password). */
  problem?: string
}

/** A database to dump or restore into, with everything parsed out of its JDBC URL and the inputs. */
export interface DatabaseTarget {
  roles: DatabaseRole[]
  engine: Engine
  /** JDBC URL as configured, with any password in it removed. Empty for an embedded database the config omits. */
  url: string
  host: string | null
  /** The URL's port, or the engine's default port when the URL gives none. */
  port: number | null
  /** Every host of a multi-host URL (PostgreSQL passes them all to libpq). */
  hosts: HostPort[]
  database: string | null
  /** URL parameters (sslmode, useSSL, …), password removed. */
  params: Record<string, string>
  username: string | null
  password: string | null
  embedded: boolean
  /** 'config' when read from the home, 'input' when an input supplied or overrode it. */
  source: 'config' | 'input'
  /** Where the config described it (e.g. 'conf/xl-release.conf: xl.database'), for messages. */
  configSource?: string
}

/** Database inputs for one role: each overrides what the home's config says. */
export interface RoleDatabaseInputs {
  url?: string
  username?: string
  password?: string
}

export interface DatabaseSettings {
  /** 'auto' reads the config, 'none' skips databases, an engine name forces that engine. */
  mode: 'auto' | 'none' | Engine
  repository: RoleDatabaseInputs
  archive: RoleDatabaseInputs
  /** pg_dump --jobs (directory format) when > 1. */
  jobs: number
  /** Shell commands for engines without a built-in tool (Oracle, SQL Server, DB2, …). */
  backupCommand?: string
  restoreCommand?: string
}

export interface DumpOptions {
  jobs: number
  backupCommand?: string
  logger: Logger
  /**
   * Hash single-file dumps into `record.dump.sha256` (default true). Pass false when the caller hashes the file anyway
   * (the zip writer does as it streams it) and fills the field itself: it saves a full re-read of the dump.
   */
  hash?: boolean
  /** PostgreSQL: dump this exported snapshot (pg_export_snapshot) instead of the moment the dump starts. */
  pgSnapshot?: string
  /** MySQL/MariaDB: told once the dump's consistent snapshot is open (its first table is being written). */
  onSnapshotOpen?: () => void
}

export interface RestoreDbOptions {
  jobs: number
  restoreCommand?: string
  /** Create the database when it does not exist. */
  createIfMissing: boolean
  /** Restore into a non-empty database whose tables are not XL Release's. */
  allowForeignTarget: boolean
  logger: Logger
  /**
   * The caller has already checked the dump's bytes (e.g. against the zip entry's SHA-256 while extracting): skip the
   * re-read that checks `record.dump.sha256`. Default false.
   */
  dumpVerified?: boolean
}

/** A dump made into a folder; `record` goes into the manifest (its `dump.prefix` is a default the caller may change). */
export interface DumpResult {
  record: DatabaseRecord
  /** Folder holding the dump's files (added to the zip under `database/<role>/`). */
  dir: string
}

/** What preflight learned about one target: the tool that will run and the server it will talk to. */
export interface PreflightReport {
  target: DatabaseTarget
  /** 'embedded' (nothing to do), 'built-in' (vendor client) or 'custom-command'. */
  kind: 'embedded' | 'built-in' | 'custom-command'
  tool: { name: string; path: string; version: string } | null
  serverVersion: string | null
}

/** What the restore dispatcher hands the engine restores: checks run before the first change. */
export interface RestoreHooks {
  /** Throws when a non-empty target does not look like XL Release's (and that was not allowed). */
  ensureTargetLooksRight(tables: string[]): void
  /** Resolves once the dump is verified; called before the first change to the server (create, drop, restore). */
  beforeChange(): Promise<void>
}
