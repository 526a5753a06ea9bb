/** The two databases of an XL Release server, as a backup names them. */
export type DatabaseRole = 'repository' | 'archive'

/** The identity every backup carries so restore can refuse foreign archives and formats newer than it knows. */
export const MANIFEST_FORMAT = 'xlr-backup'
/** 2: owners (the `owners` table, each entry's `owner`) and each dump's keystore fingerprint; 1 has neither. */
export const MANIFEST_VERSION = 2
export const MANIFEST_ENTRY = 'manifest.json'
/** Zip entry prefixes: the home's files, the database dumps. */
export const HOME_PREFIX = 'home/'
export const DATABASE_PREFIX = 'database/'

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  formatVersion: number
  tool: { name: string; version: string }
  /** ISO 8601, UTC. */
  createdAt: string
  host: string
  home: {
    path: string
    xlReleaseVersion: string | null
    era: 'sql' | 'jcr' | 'unknown'
    server: { httpPort: number; bindAddress: string; contextRoot: string; ssl: boolean }
  }
  /** Top-level folders of the home with their totals. */
  components: ComponentSummary[]
  /** Exclusion globs applied (relative to the home). */
  exclusions: string[]
  /** Every entry of the zip but the manifest itself, in archive order. */
  files: FileRecord[]
  databases: DatabaseRecord[]
  /**
   * The distinct owners of the entries (format 2): each entry's `owner` is an index into this table, so a home of
   * 20 000 files owned by one user repeats one small number, not the names.
   */
  owners?: OwnerRecord[]
  /** Set when the file was encrypted; never holds a secret. */
  encryption?: { format: 'age'; recipients: number; passphrase: boolean }
}

export interface ComponentSummary {
  /** Top-level folder name ('conf', 'repository', …), or '.' for files directly in the home. */
  name: string
  files: number
  bytes: number
}

export interface FileRecord {
  /** Zip entry name, e.g. 'home/conf/xl-release.conf' (folders end with '/'). */
  path: string
  type: 'file' | 'directory' | 'symlink'
  /** Permission bits (mode & 0o7777). */
  mode: number
  /** Modification time, ms since the epoch. */
  mtime: number
  /** Bytes of content (0 for folders; link text length for symlinks). */
  size: number
  /** Hex SHA-256 of the content (of the link text for symlinks); absent for folders. */
  sha256?: string
  /** Symlink target as stored. */
  target?: string
  /** Index into the manifest's `owners` table (format 2). */
  owner?: number
}

/** One owner of backed-up entries: the numbers as the filesystem held them, and their names on the backed-up host. */
export interface OwnerRecord {
  uid: number
  gid: number
  /** Null when the host had no name for the number (a container's user, an account since deleted). */
  user: string | null
  group: string | null
}

export interface DatabaseRecord {
  /** The roles this database serves; two roles sharing one database are dumped once. */
  roles: DatabaseRole[]
  engine: string
  /** JDBC URL with any password removed. */
  url: string
  host: string | null
  port: number | null
  database: string | null
  /** Embedded databases (H2, Derby) live in the home and are covered by the home archive: no dump. */
  embedded: boolean
  /**
   * Hex SHA-256 of the home's conf/repository-keystore.jceks when the dump was made (null: the home had none): the
   * key to the secrets stored in this database. Dumped databases of format version 2 and later.
   */
  keystoreSha256?: string | null
  /** Dump details; absent for embedded databases. */
  dump?: {
    /** 'pg-custom', 'pg-directory', 'mysql-sql-gzip', 'custom-command'. */
    format: string
    /** Zip entry prefix holding the dump, e.g. 'database/repository/'. */
    prefix: string
    bytes: number
    /** SHA-256 of the dump when it is a single file. */
    sha256?: string
    /** Name of the dump file or folder under `prefix` ('dump.pgdump', 'dump.pgdir', 'dump.sql.gz'); absent for custom commands. */
    file?: string
    /** Tables the dump holds (MySQL/MariaDB), so a restore can drop tables a newer schema added. */
    tables?: string[]
    tool: { name: string; version: string }
    serverVersion: string | null
    startedAt: string
    finishedAt: string
  }
}
