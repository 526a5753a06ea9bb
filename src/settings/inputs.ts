import { Input, Output } from '../shared/io-names.js'

export { Input, Output }

export interface InputSpec {
  name: Input
  description: string
  /** The default as action.yml shows it ('' when there is none). */
  default: string
  /** Values that must never be printed: registered with setSecret / masked in CLI errors. */
  secret?: boolean
}

/**
 * Every input of the action, in one table: the action reads them with @actions/core, the CLI as `--<name>` flags,
 * and action.yml, the README tables and the CLI help are generated from this table (scripts/write-generated.ts; a
 * test keeps them in step). The names themselves are in shared/io-names.ts, so every layer can name an input.
 */
export const INPUTS: InputSpec[] = [
  {
    name: Input.Mode,
    default: 'backup',
    description:
      "What to do: 'backup' (archive the home and dump its databases), 'restore' (put a backup back into the home), 'verify' (prove a backup restorable without touching any home), or 'prune' (only the rotation: delete the backups under 'name-prefix' that no 'keep-*' rule keeps)."
  },
  {
    name: Input.Home,
    default: '',
    description:
      'Path of the XL Release server home (XL_RELEASE_SERVER_HOME: the folder holding conf/, lib/, repository/). Required for backup and restore.'
  },
  {
    name: Input.Storage,
    default: 'artifact',
    description:
      "Where backups go and are found: 'artifact' (a workflow artifact), 'directory' (a folder on the runner, e.g. a NAS mount; set 'path'), 'cache' (the Actions cache; for handing a backup between jobs, or on GitHub Enterprise Server), 's3' (AWS S3 or an S3-compatible store: GCS, R2, MinIO, Ceph; set 'bucket'), or 'azure' (Azure Blob Storage; set 'bucket' and 'endpoint')."
  },
  {
    name: Input.Path,
    default: '',
    description:
      "With 'storage: directory', the folder that holds the backups. With 'storage: artifact', the folder the backup file is written to before it is uploaded (default: the runner's temp folder). With 's3' and 'azure', the key (blob name) prefix inside the bucket, like a folder: 'xlr/prod' stores 'xlr/prod/<name>' (default: the top). Not used with 'storage: cache'."
  },
  {
    name: Input.Name,
    default: '',
    description:
      "Backup: the backup's name (default 'xlr-backup-<host>-<UTC time>', unique and sortable). Restore/verify: the exact name of the backup to fetch."
  },
  {
    name: Input.NamePrefix,
    default: '',
    description:
      "Restore/verify: fetch the newest backup whose name starts with this prefix (e.g. 'xlr-backup-prod-'); use instead of 'name'. Backup/prune: the backups a rotation ('keep-*') acts on, required with any 'keep-*'; a backup without 'name' is called '<name-prefix><UTC time>'."
  },
  {
    name: Input.RunId,
    default: '',
    description:
      "Restore/verify with 'storage: artifact': the workflow run that uploaded the backup (default: this run)."
  },
  {
    name: Input.Repository,
    default: '${{ github.repository }}',
    description: "Restore/verify: the 'owner/name' repository whose runs hold the backup."
  },
  {
    name: Input.GithubToken,
    default: '${{ github.token }}',
    description:
      "Token to read artifacts of other runs ('run-id' or 'name-prefix'); needs 'actions: read' on 'repository'."
  },
  {
    name: Input.RetentionDays,
    default: '',
    description:
      "Days to keep the backup artifact: 1 to the repository's maximum (90 on public repositories, up to 400 on private and internal ones; a larger value is cut to it with a warning). Empty or 0: the repository's default."
  },
  {
    name: Input.CompressionLevel,
    default: '1',
    description:
      "Deflate level for the backup ZIP, 0 (store) to 9 (smallest). The default 1 is the fastest (the server is down meanwhile): about 3% larger than 'zip -6' on a typical home, in about half the CPU time of level 6. Files that are already compressed (jars, zips, images) are always stored."
  },
  {
    name: Input.Exclude,
    default: '',
    description:
      "Newline-separated globs, relative to the home, of files to leave out (e.g. 'log/**'). By default nothing is left out, as the vendor recommends."
  },
  {
    name: Input.Threads,
    default: '0',
    description: 'How many threads compress and unpack at once; 0 uses every core. Lower it on a busy machine.'
  },
  {
    name: Input.Port,
    default: '',
    description: "The server's HTTP port, when 'http.port' in conf/xl-release-server.conf is not the one it listens on."
  },
  {
    name: Input.StopCommand,
    default: '',
    description:
      "Shell command that stops the server (e.g. 'sudo systemctl stop xl-release'). Without it a running server makes the action fail."
  },
  {
    name: Input.StartCommand,
    default: '',
    description:
      'Shell command that starts the server again after the work, also when the work failed (only when the action stopped it).'
  },
  {
    name: Input.Downtime,
    default: 'minimal',
    description:
      "Backup: 'minimal' copies the home into a snapshot on its own filesystem before the stop, and while the server is stopped copies only what changed since and captures the databases (database snapshots), starts the server, then writes the backup from that moment; 'full' keeps the server stopped until the backup file is written. Needs 'start-command' and a running server (a stopped one is backed up from its home, without a copy); falls back to 'full' with a warning when the home's filesystem lacks the space or MySQL/MariaDB tables are not transactional."
  },
  {
    name: Input.StopTimeout,
    default: '300',
    description: "Seconds to wait, after 'stop-command', for the port to close and the server's processes to end."
  },
  {
    name: Input.StartTimeout,
    default: '600',
    description:
      "Seconds to wait, after 'start-command', for the server's port to answer and then for 'health-url' to answer HTTP 200."
  },
  {
    name: Input.HealthUrl,
    default: '',
    description:
      "URL that answers HTTP 200 once the started server is usable (a 503, as from a standby node, means not yet). Default: the server's own '/ha/health' from conf/xl-release-server.conf (port, context root, ssl), asked on this host. 'none' waits for the port only. Credentials in it are never logged."
  },
  {
    name: Input.ClusterNodes,
    default: '',
    description:
      "The other nodes of a cluster, one per line: 'host:port' (their HTTP port) or their health URL. Backup and restore first prove every one down (port closed, no HTTP answer) and refuse naming a node still up. Required when conf/xl-release.conf makes the home a cluster node ('xl.cluster.mode' hot-standby or full); 'none' says this node runs alone."
  },
  {
    name: Input.Database,
    default: 'auto',
    description:
      "'auto' dumps the external databases found in conf/xl-release.conf, 'none' skips databases, or an engine ('postgresql', 'mysql', 'mariadb', 'oracle', 'sqlserver', 'db2') to force one."
  },
  {
    name: Input.DatabaseUrl,
    default: '',
    description: 'JDBC URL of the repository database, overriding the one in the config (restore: the target database).'
  },
  {
    name: Input.DatabaseUsername,
    default: '',
    description: 'User of the repository database, overriding the config.'
  },
  {
    name: Input.DatabasePassword,
    default: '',
    secret: true,
    description:
      'Password of the repository database (from a secret). Needed when the config holds an encrypted {b64} password.'
  },
  {
    name: Input.ArchiveDatabaseUrl,
    default: '',
    description: 'JDBC URL of the archive (reporting) database, overriding the config (restore: the target database).'
  },
  {
    name: Input.ArchiveDatabaseUsername,
    default: '',
    description: 'User of the archive database, overriding the config.'
  },
  {
    name: Input.ArchiveDatabasePassword,
    default: '',
    secret: true,
    description: 'Password of the archive database (from a secret).'
  },
  {
    name: Input.DatabaseJobs,
    default: '1',
    description:
      'Parallel jobs for pg_dump/pg_restore. Above 1, PostgreSQL dumps use the directory format, which dumps tables in parallel.'
  },
  {
    name: Input.DatabaseBackupCommand,
    default: '',
    description:
      'Shell command that dumps a database the action has no built-in tool for (Oracle, SQL Server, DB2). It gets XLR_DB_* variables; see docs/databases.md.'
  },
  {
    name: Input.DatabaseRestoreCommand,
    default: '',
    description: "Shell command that restores such a dump; the counterpart of 'database-backup-command'."
  },
  {
    name: Input.Components,
    default: 'default',
    description:
      "Restore: what to restore. 'default' is the user data (repository, conf, ext, plugins, and archive, hotfix, reports when present, plus the databases); 'all' is the complete home; or a comma-separated list (add 'databases' for the dumps)."
  },
  {
    name: Input.PreviousPath,
    default: '',
    description:
      'Restore: folder that keeps everything the restore replaced (default: a .xlr-restore-<id>/previous folder in the home). Must be on the same filesystem as the home.'
  },
  {
    name: Input.SafetyDump,
    default: 'true',
    description: 'Restore: dump each database into the previous folder before overwriting it.'
  },
  {
    name: Input.ResetIndexes,
    default: 'auto',
    description:
      "Restore: empty the JCR search indexes so the server rebuilds them. 'auto' does it when the repository folder and the database come from different moments; 'true' always; 'false' never."
  },
  {
    name: Input.AllowVersionMismatch,
    default: 'false',
    description:
      "Restore: allow restoring data into a home whose XL Release version differs from the backup's (restoring 'all' is always allowed: that is how an upgrade is rolled back)."
  },
  {
    name: Input.AllowForeignDatabase,
    default: 'false',
    description:
      "Restore: allow restoring into a non-empty database whose tables are not XL Release's. Check 'database-url' first."
  },
  {
    name: Input.CreateDatabase,
    default: 'false',
    description: 'Restore/verify: create a target database that does not exist yet.'
  },
  {
    name: Input.InterruptedRestore,
    default: '',
    description:
      "Restore: what to do with a restore that was interrupted earlier (the runner died): 'rollback' puts the home back as it was before it, 'finish' completes it."
  },
  {
    name: Input.DryRun,
    default: 'false',
    description:
      "Restore: print the plan (what is replaced, what is kept where, which databases are overwritten, space needed) and change nothing. Backup/prune: print the rotation's plan (every backup kept, with its rule, and every one it would delete) and delete nothing."
  },
  {
    name: Input.EncryptionRecipients,
    default: '',
    description:
      "Backup: age public keys ('age1…'), one per line, to encrypt the backup to. The backup job needs no secret."
  },
  {
    name: Input.EncryptionPassphrase,
    default: '',
    secret: true,
    description: 'Backup: encrypt with this passphrase instead (restore/verify: decrypt with it). From a secret.'
  },
  {
    name: Input.DecryptionIdentity,
    default: '',
    secret: true,
    description: "Restore/verify: age secret key(s) ('AGE-SECRET-KEY-1…') that open an encrypted backup. From a secret."
  },
  {
    name: Input.RequireEncryption,
    default: 'false',
    description: 'Refuse to write (backup) or read (restore/verify) a backup that is not encrypted.'
  },
  {
    name: Input.SigningKey,
    default: '',
    secret: true,
    description:
      "Backup: an Ed25519 private key in OpenSSH format, without passphrase (from a secret; make one with \"ssh-keygen -t ed25519 -N ''\"). The backup is signed with it ('<file>.sig', an SSH signature); see 'trusted-signers'."
  },
  {
    name: Input.TrustedSigners,
    default: '',
    description:
      "Restore/verify: public keys ('ssh-ed25519 AAAA… comment', or allowed_signers lines), one per line. When set, a backup that is unsigned or signed by another key is refused before it is opened. Backup/prune with 'keep-*': the rotation counts only backups signed by one of these keys; the others are kept and named."
  },
  {
    name: Input.TrustAnyRun,
    default: 'false',
    description:
      "Restore/verify with 'storage: artifact' searching the repository ('name-prefix', or 'name' without 'run-id'): also take backups from pull-request runs and other branches. By default only runs of 'backup-branch' not triggered by a pull request count."
  },
  {
    name: Input.BackupBranch,
    default: '',
    description:
      "Restore/verify with 'storage: artifact' searching the repository: the branch whose runs made the backups (default: the repository's default branch)."
  },
  {
    name: Input.BackupWorkflow,
    default: '',
    description:
      "Restore/verify with 'storage: artifact' searching the repository: only take backups made by this workflow file (e.g. 'nightly-backup.yml'; default: any workflow)."
  },
  {
    name: Input.KeepLast,
    default: '',
    description:
      "Backup/prune rotation: keep the newest N backups under 'name-prefix'. The 'keep-*' rules work as restic's 'forget': a backup any rule keeps is kept, the others are deleted (after the new backup is stored). Needs 'name-prefix'; deleting artifacts and cache entries needs 'actions: write'."
  },
  {
    name: Input.KeepDaily,
    default: '',
    description:
      'Backup/prune rotation: keep the newest backup of each of the last N days (UTC) that have one, counted back from the newest backup.'
  },
  {
    name: Input.KeepWeekly,
    default: '',
    description:
      'Backup/prune rotation: keep the newest backup of each of the last N ISO weeks (Monday to Sunday, UTC) that have one.'
  },
  {
    name: Input.KeepMonthly,
    default: '',
    description:
      'Backup/prune rotation: keep the newest backup of each of the last N calendar months (UTC) that have one.'
  },
  {
    name: Input.KeepYearly,
    default: '',
    description: 'Backup/prune rotation: keep the newest backup of each of the last N years (UTC) that have one.'
  },
  {
    name: Input.MaxAge,
    default: '',
    description:
      "Verify: fail the job when the newest backup under 'name-prefix' is older than this ('26h', '8d', '2w'; units s, m, h, d, w), naming it and its age: an alarm for backups that silently stopped. The backup is still verified."
  },
  {
    name: Input.Bucket,
    default: '',
    description:
      "'storage: s3': the bucket; 'storage: azure': the container. Required for both. Credentials never come from inputs: the AWS SDK's standard chain (aws-actions/configure-aws-credentials) or, for Azure, azure/login or AZURE_STORAGE_CONNECTION_STRING in 'env:'."
  },
  {
    name: Input.Endpoint,
    default: '',
    description:
      "'storage: s3': the service URL of an S3-compatible store (e.g. 'https://storage.googleapis.com', 'https://<account>.r2.cloudflarestorage.com'); empty = AWS. 'storage: azure': the account URL 'https://<account>.blob.core.windows.net' (not needed with AZURE_STORAGE_CONNECTION_STRING)."
  },
  {
    name: Input.Region,
    default: '',
    description: "'storage: s3': the bucket's region (default: AWS_REGION, else AWS_DEFAULT_REGION, else 'us-east-1')."
  },
  {
    name: Input.ForcePathStyle,
    default: 'false',
    description:
      "'storage: s3': address the bucket as '<endpoint>/<bucket>' instead of '<bucket>.<endpoint>'; 'true' for MinIO, Ceph and most self-hosted servers."
  },
  {
    name: Input.ImmutableDays,
    default: '',
    description:
      "Backup with 's3' or 'azure': keep the new backup immutable for this many days (S3 Object Lock retention, or an Azure blob immutability policy): nobody, not even a stolen token, can delete or change it meanwhile. The bucket must have Object Lock (the container version-level immutability): checked before the server stops."
  },
  {
    name: Input.ImmutableMode,
    default: 'governance',
    description:
      "With 'immutable-days': 'governance' (users with a special permission may still lift it; Azure: an unlocked policy) or 'compliance' (nobody can, not even the account's root, until it expires; Azure: a locked policy)."
  },
  {
    name: Input.Owner,
    default: '',
    description:
      "Restore as root: give every restored file and folder this owner, 'user:group' (names or numbers, e.g. '10001:0' for the vendor's container image), instead of the owners the backup recorded."
  },
  {
    name: Input.AllowKeystoreMismatch,
    default: 'false',
    description:
      'Restore: allow a result that leaves a database next to another conf/repository-keystore.jceks than the one it was backed up with (every password and credential stored in it is then unreadable).'
  },
  {
    name: Input.MaintenanceMode,
    default: 'auto',
    description:
      "Restore: set 'xl.maintenance.enabled = true' in the restored conf/xl-release.conf. 'auto': only for a drill (database inputs pointing elsewhere than the backed-up conf); 'true': always; 'false': never."
  }
]

export const OUTPUTS: { name: Output; description: string }[] = [
  { name: Output.BackupName, description: 'Name of the backup made, restored or verified.' },
  {
    name: Output.BackupPath,
    description:
      "Path of the stored backup file with 'storage: directory'; empty with 'artifact' and 'cache' storage, whose local copy is removed once uploaded."
  },
  { name: Output.BackupSize, description: 'Size of the backup file in bytes.' },
  { name: Output.BackupSha256, description: 'SHA-256 of the backup file (of the ciphertext when encrypted).' },
  { name: Output.XlReleaseVersion, description: 'XL Release version of the backed-up home (empty when unknown).' },
  { name: Output.ArtifactId, description: "ID of the uploaded artifact ('storage: artifact')." },
  { name: Output.ArtifactName, description: "Name of the uploaded artifact ('storage: artifact')." },
  { name: Output.ArtifactUrl, description: "Link to the artifact on the run's page ('storage: artifact')." },
  {
    name: Output.ArtifactDigest,
    description: 'SHA-256 digest of the artifact, in hex, as actions/upload-artifact gives it.'
  },
  { name: Output.CacheKey, description: "Cache key of the saved or restored backup ('storage: cache')." },
  {
    name: Output.ObjectUrl,
    description: "The stored backup: 's3://<bucket>/<key>' ('storage: s3') or the blob's URL ('storage: azure')."
  },
  {
    name: Output.RestoredComponents,
    description: 'Restore: comma-separated components restored (or planned, in a dry run).'
  },
  {
    name: Output.PreviousPath,
    description: 'Restore: folder that keeps everything the restore replaced, until you delete it.'
  },
  { name: Output.DurationSeconds, description: 'How long the work took, in seconds.' },
  { name: Output.Verified, description: "Verify: 'true' when every entry and dump checked out." },
  {
    name: Output.StartupSeconds,
    description:
      "Seconds from 'start-command' until the server answered HTTP 200 at 'health-url' (empty when this run did not start it)."
  },
  {
    name: Output.BackupAgeSeconds,
    description:
      "Verify with 'max-age': age in seconds of the newest backup under 'name-prefix' (set also when it is too old)."
  },
  {
    name: Output.DowntimeSeconds,
    description:
      "Backup: seconds the server was down, from the moment it was proven stopped to the run of 'start-command' (empty when the run did not stop it)."
  }
]
