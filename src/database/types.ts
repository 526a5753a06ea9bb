import type { DatabaseRole } from '../home/types.js'
import type { DatabaseRecord } from '../archive/manifest.js'
import type { Logger } from '../shared/logger.js'

export type Engine = 'postgresql' | 'mysql' | 'mariadb' | 'oracle' | 'sqlserver' | 'db2' | 'h2' | 'derby' | 'unknown'

/** A database to dump or restore into, with everything parsed out of its JDBC URL and the inputs. */
export interface DatabaseTarget {
  roles: DatabaseRole[]
  engine: Engine
  /** JDBC URL as configured (may contain parameters; never a password). */
  url: string
  host: string | null
  port: number | null
  database: string | null
  /** URL parameters (sslmode, useSSL, …). */
  params: Record<string, string>
  username: string | null
  password: string | null
  embedded: boolean
  /** 'config' when read from the home, 'input' when an input supplied or overrode it. */
  source: 'config' | 'input'
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
}

export interface RestoreDbOptions {
  jobs: number
  restoreCommand?: string
  /** Create the database when it does not exist. */
  createIfMissing: boolean
  /** Restore into a non-empty database whose tables are not XL Release's. */
  allowForeignTarget: boolean
  logger: Logger
}

/** A dump made into a folder; `record` goes into the manifest (its `dump.prefix` is filled by the caller). */
export interface DumpResult {
  record: DatabaseRecord
  /** Folder holding the dump's files (added to the zip under `database/<role>/`). */
  dir: string
}
