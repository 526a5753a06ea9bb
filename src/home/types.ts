import type { DatabaseRole } from '../format/manifest.js'

/** What the tool knows about an XL Release server home after reading it (see docs/ and shared xlr-reference). */
export interface HomeInfo {
  /** Absolute, symlink-resolved path of XL_RELEASE_SERVER_HOME. */
  path: string
  /** conf/xl-release-server.conf, with defaults applied when the file or a key is missing. */
  server: ServerConfig
  /** The database settings found in the config, by role; absent roles are not configured (embedded default). */
  databases: ConfiguredDatabases
  /** Installed product version from lib/ jar names, or null when it cannot be told. */
  version: string | null
  /** 'jcr' for Jackrabbit-era homes (≤7.2), 'sql' for 7.5+, 'unknown' when neither can be told. */
  era: 'sql' | 'jcr' | 'unknown'
  /** Top-level folders present in the home (conf, lib, repository, …), sorted. */
  folders: string[]
  /** Config files that were read, relative to the home (for the log and the manifest). */
  configFilesRead: string[]
  /** Where the version was read, e.g. 'lib/xlr-server-22.3.1.jar' (absent when the version is null). */
  versionSource?: string
  /**
   * Database URL keys the config sets from something this job cannot see (`${?XL_DB_URL}` unset here): the server
   * has an external database there, which the config does not name to this job.
   */
  unresolvedDatabaseUrls?: UnresolvedDatabaseUrls
  /** JCR era: xl.repository.configuration (default | mysql-standalone | postgresql-standalone | …), when set. */
  jcrRepositoryConfiguration?: string
  /** Set when conf/xl-release.conf makes this server a cluster node (see cluster-config.ts). */
  cluster?: ClusterConfig
}

export interface ClusterConfig {
  /** 'hot-standby', 'full', … (or 'cluster' in the JCR era) */
  mode: string
  /** The key that says so, e.g. 'xl.cluster.mode'. */
  key: string
}

export interface ServerConfig {
  /** http.port, default 5516. */
  httpPort: number
  /** http.bind.address, default 0.0.0.0. */
  bindAddress: string
  /** http.context.root, default '/'. */
  contextRoot: string
  ssl: boolean
  serverUrl: string | null
}

export type { DatabaseRole }

/** One database as the home's config describes it (values as written, passwords possibly `{b64}` encrypted). */
export interface ConfiguredDatabase {
  role: DatabaseRole
  url: string
  username: string | null
  password: string | null
  driver: string | null
  /** Where it was found, e.g. 'conf/xl-release.conf: xl.database' or 'conf/jackrabbit-repository.xml: PersistenceManager'. */
  source: string
}

export type ConfiguredDatabases = Partial<Record<DatabaseRole, ConfiguredDatabase>>

/** A database URL key written in the config that resolved to nothing (or to an unresolved `${X}`) for this job. */
export interface UnresolvedDatabaseUrl {
  /** 'xl.database.db-url' */
  key: string
  /** Absolute path of the file that set it (xl-release.conf or a file it includes). */
  file: string
  line: number
  /** The line as written, e.g. 'db-url = ${?XL_DB_URL}'. */
  text: string
}

export type UnresolvedDatabaseUrls = Partial<Record<DatabaseRole, UnresolvedDatabaseUrl>>
