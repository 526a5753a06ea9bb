/**
 * Real PostgreSQL (127.0.0.1:5432, postgres, trust) and MariaDB (127.0.0.1:3306, root, no password) databases shaped
 * like XL Release's, for the database area's tests. Every name carries a random suffix: test files run in parallel
 * against the same servers.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { ConfiguredDatabase, HomeInfo } from '../../src/home/types.js'
import type { DatabaseSettings, DatabaseTarget, DumpResult } from '../../src/database/types.js'
import { dumpDatabase } from '../../src/database/index.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { readThrough } from './lazy.js'

export const PG = { host: '127.0.0.1', port: 5432, admin: 'postgres' }
export const MARIA = { host: '127.0.0.1', port: 3306, admin: 'root' }

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

/** A one-job dump of `target` into `<dir>/<folder>/repository`. */
export async function dumpRepository(target: DatabaseTarget, dir: string, folder: string): Promise<DumpResult> {
  return await dumpDatabase(target, path.join(dir, folder, 'repository'), { jobs: 1, logger: new MemoryLogger() })
}

/** SQL as the PostgreSQL superuser; returns psql's unaligned output. */
export function pgAdmin(sql: string, database = 'postgres'): string {
  return execFileSync(
    'psql',
    [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      PG.host,
      '-p',
      String(PG.port),
      '-U',
      PG.admin,
      '-d',
      database,
      '-f',
      '-'
    ],
    { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }
  )
}

/** SQL as MariaDB root; returns the batch output. */
export function mariaAdmin(sql: string, database?: string): string {
  const args = ['--protocol=TCP', '-h', MARIA.host, '-P', String(MARIA.port), '-u', MARIA.admin, '-N', '-B']
  if (database) args.push(database)
  return execFileSync('mariadb', args, { input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })
}

/**
 * An XL Release-shaped PostgreSQL database: folders (self FK), releases (FK, a sequence default, bytea blobs),
 * tasks (FK, cascade), Liquibase's changelog and XL_VERSION, a view; Unicode text and NULLs; ~7,500 rows.
 */
export function pgXlrSchema(kind: 'repository' | 'archive'): string {
  const releases = kind === 'repository' ? 2000 : 800
  return `
CREATE SEQUENCE xlr_id_seq START 1000;
CREATE TABLE xlr_folders (ci_uid serial PRIMARY KEY, folder_id varchar(255) UNIQUE NOT NULL, name text NOT NULL,
  parent_uid int REFERENCES xlr_folders(ci_uid));
CREATE TABLE xlr_releases (ci_uid int PRIMARY KEY DEFAULT nextval('xlr_id_seq'), release_id varchar(255) UNIQUE NOT NULL,
  folder_uid int NOT NULL REFERENCES xlr_folders(ci_uid), title text, status varchar(32), start_date timestamptz,
  content bytea);
CREATE TABLE xlr_tasks (ci_uid bigserial PRIMARY KEY, release_uid int NOT NULL REFERENCES xlr_releases(ci_uid) ON DELETE CASCADE,
  title text, comment text);
CREATE INDEX xlr_tasks_release ON xlr_tasks(release_uid);
CREATE TABLE xl_version (component varchar(255) PRIMARY KEY, version varchar(255) NOT NULL);
CREATE TABLE databasechangelog (id varchar(255) NOT NULL, author varchar(255) NOT NULL, filename varchar(255) NOT NULL,
  dateexecuted timestamp NOT NULL, orderexecuted int NOT NULL);
CREATE VIEW xlr_active_releases AS SELECT release_id, title FROM xlr_releases WHERE status = 'IN_PROGRESS';
INSERT INTO xlr_folders (folder_id, name, parent_uid) SELECT 'Applications/Folder' || i, 'Ordner ü € — 日本語 ' || i || ' 🚀', NULL FROM generate_series(1, 10) i;
INSERT INTO xlr_folders (folder_id, name, parent_uid) SELECT 'Applications/Folder' || (i % 10 + 1) || '/Sub' || i, 'Sous-dossier « ' || i || ' » ñ', i % 10 + 1 FROM generate_series(11, 60) i;
INSERT INTO xlr_releases (release_id, folder_uid, title, status, start_date, content)
  SELECT 'Release' || i, i % 60 + 1, CASE WHEN i % 7 = 0 THEN NULL ELSE 'Relëase ' || i || ' ✓ ''quoted'' \\back' END,
         (ARRAY['PLANNED','IN_PROGRESS','COMPLETED','ABORTED'])[i % 4 + 1], timestamptz '2024-01-01 00:00+00' + i * interval '1 hour',
         CASE WHEN i % 11 = 0 THEN NULL ELSE decode(repeat(md5(i::text), 4) || '00ff0a0d5c27', 'hex') END
  FROM generate_series(1, ${releases}) i;
INSERT INTO xlr_tasks (release_uid, title, comment)
  SELECT 1000 + (i % ${releases}), 'Task ' || i, repeat('ĉommënt ', i % 5) FROM generate_series(1, ${releases * 2}) i;
INSERT INTO xl_version VALUES ('xl-release', '24.1.0'), ('xl-release-${kind}', '24.1.0');
INSERT INTO databasechangelog SELECT 'change-' || i, 'xlr', 'db/changelog.yaml', now(), i FROM generate_series(1, 40) i;
`
}

export interface PgFixture {
  database: string
  role: string
  password: string
  drop(): void
}

/** A login role with a password (tricky characters) owning a new XL Release-shaped database. */
export function createPgDatabase(kind: 'repository' | 'archive', role?: { name: string; password: string }): PgFixture {
  const database = uniqueName(`dbt_${kind}`)
  const r = role ?? createPgRole()
  pgAdmin(`CREATE DATABASE ${database} OWNER ${r.name};`)
  try {
    pgAdmin(`SET ROLE ${r.name};\n${pgXlrSchema(kind)}`, database)
  } catch (e) {
    pgDropDatabase(database)
    throw e
  }
  return {
    database,
    role: r.name,
    password: r.password,
    drop: () => pgDropDatabase(database)
  }
}

export function createPgRole(): { name: string; password: string; drop(): void } {
  const name = uniqueName('dbt_role')
  const password = `pw:${randomBytes(6).toString('hex')}\\x'y`
  pgAdmin(`CREATE ROLE ${name} LOGIN CREATEDB PASSWORD '${password.replace(/'/g, "''")}';`)
  return { name, password, drop: () => pgAdmin(`DROP ROLE IF EXISTS ${name};`) }
}

export function pgDropDatabase(database: string): void {
  pgAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE);`)
}

/** The MariaDB counterpart: FKs, AUTO_INCREMENT, a SEQUENCE, BLOBs, utf8mb4 text, a trigger, a procedure, an event. */
export function mariaXlrSchema(kind: 'repository' | 'archive', definer: string): string {
  const d = `DEFINER='${definer}'@'%'`
  const releases = kind === 'repository' ? 2000 : 800
  return `
CREATE SEQUENCE XLR_ID_SEQ START WITH 1000;
CREATE TABLE XLR_FOLDERS (CI_UID INT AUTO_INCREMENT PRIMARY KEY, FOLDER_ID VARCHAR(255) NOT NULL UNIQUE, NAME TEXT NOT NULL,
  PARENT_UID INT NULL, FOREIGN KEY (PARENT_UID) REFERENCES XLR_FOLDERS(CI_UID)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE XLR_RELEASES (CI_UID INT PRIMARY KEY, RELEASE_ID VARCHAR(255) NOT NULL UNIQUE, FOLDER_UID INT NOT NULL,
  TITLE TEXT NULL, STATUS VARCHAR(32), START_DATE DATETIME, CONTENT LONGBLOB NULL,
  FOREIGN KEY (FOLDER_UID) REFERENCES XLR_FOLDERS(CI_UID)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE XLR_TASKS (CI_UID BIGINT AUTO_INCREMENT PRIMARY KEY, RELEASE_UID INT NOT NULL, TITLE VARCHAR(255), COMMENT TEXT,
  FOREIGN KEY (RELEASE_UID) REFERENCES XLR_RELEASES(CI_UID) ON DELETE CASCADE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE XL_VERSION (COMPONENT VARCHAR(255) PRIMARY KEY, VERSION VARCHAR(255) NOT NULL) DEFAULT CHARSET=utf8mb4;
CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL,
  DATEEXECUTED DATETIME NOT NULL, ORDEREXECUTED INT NOT NULL) DEFAULT CHARSET=utf8mb4;
CREATE TABLE XLR_AUDIT (ID INT AUTO_INCREMENT PRIMARY KEY, RELEASE_ID VARCHAR(255)) DEFAULT CHARSET=utf8mb4;
CREATE ${d} TRIGGER XLR_RELEASES_AUDIT AFTER INSERT ON XLR_RELEASES FOR EACH ROW INSERT INTO XLR_AUDIT (RELEASE_ID) VALUES (NEW.RELEASE_ID);
CREATE ${d} PROCEDURE XLR_COUNT_RELEASES() SELECT COUNT(*) FROM XLR_RELEASES;
CREATE ${d} EVENT XLR_NOOP ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1;
INSERT INTO XLR_FOLDERS (CI_UID, FOLDER_ID, NAME, PARENT_UID) SELECT seq, CONCAT('Applications/Folder', seq), CONCAT('Ordner ü € — 日本語 ', seq, ' 🚀'), NULL FROM seq_1_to_10;
INSERT INTO XLR_FOLDERS (CI_UID, FOLDER_ID, NAME, PARENT_UID) SELECT seq, CONCAT('Applications/Sub', seq), CONCAT('Sous-dossier « ', seq, ' » ñ'), seq % 10 + 1 FROM seq_11_to_60;
INSERT INTO XLR_RELEASES SELECT 999 + seq, CONCAT('Release', seq), seq % 60 + 1,
  IF(seq % 7 = 0, NULL, CONCAT('Relëase ', seq, ' ✓ ''quoted'' \\\\back')), ELT(seq % 4 + 1, 'PLANNED','IN_PROGRESS','COMPLETED','ABORTED'),
  TIMESTAMP('2024-01-01') + INTERVAL seq HOUR, IF(seq % 11 = 0, NULL, UNHEX(CONCAT(REPEAT(MD5(seq), 4), '00ff0a0d5c27')))
  FROM seq_1_to_${releases};
INSERT INTO XLR_TASKS (RELEASE_UID, TITLE, COMMENT) SELECT 1000 + (seq % ${releases}), CONCAT('Task ', seq), REPEAT('ĉommënt ', seq % 5) FROM seq_1_to_${releases * 2};
INSERT INTO XL_VERSION VALUES ('xl-release', '24.1.0'), ('xl-release-${kind}', '24.1.0');
INSERT INTO DATABASECHANGELOG SELECT CONCAT('change-', seq), 'xlr', 'db/changelog.yaml', NOW(), seq FROM seq_1_to_40;
`
}

export interface MariaFixture {
  database: string
  user: string
  password: string
  drop(): void
}

/** A MariaDB user with a password full of option-file special characters, owning a new XL Release-shaped database. */
export function createMariaDatabase(
  kind: 'repository' | 'archive',
  user?: { name: string; password: string }
): MariaFixture {
  const database = uniqueName(`dbt_${kind}`)
  const u = user ?? createMariaUser()
  mariaAdmin(`CREATE DATABASE ${database} CHARACTER SET utf8mb4;\nGRANT ALL ON ${database}.* TO '${u.name}'@'%';`)
  try {
    mariaAdmin(`SET NAMES utf8mb4;\n${mariaXlrSchema(kind, u.name)}`, database)
  } catch (e) {
    mariaAdmin(`DROP DATABASE IF EXISTS ${database};`)
    throw e
  }
  return {
    database,
    user: u.name,
    password: u.password,
    drop: () => mariaAdmin(`DROP DATABASE IF EXISTS ${database};`)
  }
}

export function createMariaUser(): { name: string; password: string; drop(): void } {
  const name = uniqueName('dbt_u')
  const password = `p#w "${randomBytes(4).toString('hex')}" \\ 'x`
  const literal = password.replace(/\\/g, '\\\\').replace(/'/g, "''")
  mariaAdmin(`CREATE USER '${name}'@'%' IDENTIFIED BY '${literal}';\nGRANT CREATE ON *.* TO '${name}'@'%';`)
  return { name, password, drop: () => mariaAdmin(`DROP USER IF EXISTS '${name}'@'%';`) }
}

export function grantMaria(user: string, database: string): void {
  mariaAdmin(`GRANT ALL ON ${database}.* TO '${user}'@'%';`)
}

/** A HomeInfo as the config parser would produce it, with the given databases. */
export function homeWith(
  databases: Partial<
    Record<'repository' | 'archive', Omit<ConfiguredDatabase, 'role' | 'source' | 'driver'> & { source?: string }>
  >,
  era: HomeInfo['era'] = 'sql'
): HomeInfo {
  const dbs: HomeInfo['databases'] = {}
  for (const role of ['repository', 'archive'] as const) {
    const d = databases[role]
    if (d)
      dbs[role] = {
        role,
        driver: null,
        source: d.source ?? `conf/xl-release.conf: ${role === 'repository' ? 'xl.database' : 'xl.reporting'}`,
        url: d.url,
        username: d.username,
        password: d.password
      }
  }
  return {
    path: '/opt/xl-release',
    server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false, serverUrl: null },
    databases: dbs,
    version: '24.1.0',
    era,
    folders: ['conf', 'lib', 'repository'],
    configFilesRead: ['conf/xl-release.conf']
  }
}

export function settings(over: Partial<DatabaseSettings> = {}): DatabaseSettings {
  return { mode: 'auto', repository: {}, archive: {}, jobs: 1, ...over }
}

/**
 * Writes an executable shell script `name` into `dir` (for fake tools put first on PATH).
 */
export async function writeScript(dir: string, name: string, body: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, name)
  await writeFile(file, `#!/bin/sh\n${body}\n`)
  await chmod(file, 0o755)
  return file
}

/** Runs `fn` with PATH replaced (tools are looked up on process.env.PATH). */
export async function withPath<T>(value: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH
  process.env.PATH = value
  try {
    return await fn()
  } finally {
    process.env.PATH = saved
  }
}

type Kind = 'repository' | 'archive'
type Login = { name: string; password: string; drop(): void }

/**
 * What `useScratchLogins` made for a test file. Its logins and databases can be taken apart at the top of the file
 * (`const { role } = scratch`): each is read through to what the hook made, while the tests run.
 */
export interface ScratchLogins {
  /** A folder of the file's own in the OS temp folder. */
  readonly tmp: string
  /** The PostgreSQL login role owning the `pg` databases. */
  readonly role: Login
  readonly pg: Readonly<Record<Kind, PgFixture>>
  /** The MariaDB user granted the `maria` databases. */
  readonly user: Login
  readonly maria: Readonly<Record<Kind, MariaFixture>>
  /** A unique name for a database the file makes itself on `engine`; dropped after its tests, before the logins. */
  extraDatabase(engine: 'postgresql' | 'mariadb', prefix: string): string
}

/**
 * The set-up of a database test file: a scratch folder (named by `prefix`), a PostgreSQL login role owning new XL
 * Release-shaped databases of the kinds in `want.postgresql`, a MariaDB user granted those of `want.mariadb`; all made
 * before the file's tests and dropped after them. Reading a part that was not asked for throws. Call it at the top
 * level of the file (or of a describe).
 */
export function useScratchLogins(prefix: string, want: { postgresql?: Kind[]; mariadb?: Kind[] }): ScratchLogins {
  let tmp: string | undefined
  let role: Login | undefined
  let user: Login | undefined
  const pg: Partial<Record<Kind, PgFixture>> = {}
  const maria: Partial<Record<Kind, MariaFixture>> = {}
  const extra = { postgresql: [] as string[], mariadb: [] as string[] }
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), prefix))
    if (want.postgresql) role = createPgRole()
    for (const kind of want.postgresql ?? []) pg[kind] = createPgDatabase(kind, role)
    if (want.mariadb) user = createMariaUser()
    for (const kind of want.mariadb ?? []) maria[kind] = createMariaDatabase(kind, user)
  })
  afterAll(async () => {
    for (const database of extra.postgresql) pgDropDatabase(database)
    for (const database of extra.mariadb) mariaAdmin(`DROP DATABASE IF EXISTS ${database};`)
    for (const fixture of [...Object.values(pg), ...Object.values(maria)]) fixture.drop()
    role?.drop()
    user?.drop()
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })
  const made = <T>(what: string, value: T | undefined): T => {
    if (value === undefined)
      throw new Error(`useScratchLogins('${prefix}'): no ${what} (not asked for, or read before beforeAll)`)
    return value
  }
  const kinds = <T extends object>(engine: string, fixtures: Partial<Record<Kind, T>>): Record<Kind, T> => ({
    repository: readThrough(() => made(`${engine} repository database`, fixtures.repository)),
    archive: readThrough(() => made(`${engine} archive database`, fixtures.archive))
  })
  return {
    get tmp() {
      return made('scratch folder', tmp)
    },
    role: readThrough(() => made('PostgreSQL role', role)),
    pg: kinds('PostgreSQL', pg),
    user: readThrough(() => made('MariaDB user', user)),
    maria: kinds('MariaDB', maria),
    extraDatabase(engine, namePrefix) {
      const name = uniqueName(namePrefix)
      extra[engine].push(name)
      return name
    }
  }
}
