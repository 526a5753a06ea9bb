/**
 * End-to-end restore and verify tests: generated homes whose conf points at real PostgreSQL / MariaDB databases,
 * backups made and restored through the real core (`runJob`, settings from `parseSettings`), and tools to damage a
 * stored backup the way a disk, a network or an attacker would.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeHome } from '../../scripts/make-home.js'
import { resolveDatabases, tableChecksums } from '../../src/database/index.js'
import { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import {
  createMariaDatabase,
  createPgDatabase,
  createPgRole,
  homeWith,
  mariaAdmin,
  settings as dbSettings,
  type MariaFixture,
  type PgFixture
} from './database-fixtures.js'
import { readThrough } from './lazy.js'
import { freePort } from './net.js'
import type { Inputs } from './run-job.js'
import { treeState } from './restore-fixtures.js'

export { freePort }
export { attempt, run, runFailing, type Inputs } from './run-job.js'

export const PG_URL = (db: string): string => `jdbc:postgresql://127.0.0.1:5432/${db}`
export const MARIA_URL = (db: string): string => `jdbc:mariadb://127.0.0.1:3306/${db}`

/** A database a home's conf names: its JDBC URL and login (the password lives only in an input, as in real life). */
export interface ConfDatabase {
  url: string
  username: string
  password: string
}

/**
 * A generated home (scripts/make-home.ts, a few MB) whose conf/xl-release.conf points `xl.database` and
 * `xl.reporting` at the given databases, with passwords encrypted as the server leaves them ({b64}…) so only the
 * password inputs can open them, and whose http.port is a free port.
 */
export async function makeDbHome(
  dir: string,
  dbs: { repository?: ConfDatabase; archive?: ConfDatabase },
  opts: { version?: string; scale?: number } = {}
): Promise<{ dir: string; port: number }> {
  await makeHome(dir, { scale: opts.scale ?? 0.005 })
  const port = await freePort()
  const serverConf = path.join(dir, 'conf/xl-release-server.conf')
  await writeFile(serverConf, (await readFile(serverConf, 'utf8')).replace(/^http\.port=\d+$/m, `http.port=${port}`))
  const block = (key: string, d: ConfDatabase | undefined): string =>
    d
      ? `  ${key} {\n    db-url = "${d.url}"\n    db-username = "${d.username}"\n    db-password = "{b64}c2VydmVyLWVuY3J5cHRlZA=="\n    max-pool-size = 10\n  }\n`
      : ''
  await writeFile(
    path.join(dir, 'conf/xl-release.conf'),
    `xl {\n  # external databases\n${block('database', dbs.repository)}${block('reporting', dbs.archive)}}\n`
  )
  if (opts.version) {
    const lib = path.join(dir, 'lib')
    const jar = (await readdir(lib)).find(f => f.startsWith('xlr-server-'))!
    await rename(path.join(lib, jar), path.join(lib, `xlr-server-${opts.version}.jar`))
  }
  return { dir, port }
}

/** A scratch folder holding a generated home whose conf points at new, real databases, and a folder to back up to. */
export interface DbHomeFixture {
  tmp: string
  /** The storage folder (`storage: directory`). */
  store: string
  home: string
  /** The home's http.port: a free port, so the server guard finds it closed. */
  port: number
  role: ReturnType<typeof createPgRole>
  /** The repository: PostgreSQL, owned by `role`. */
  pg: PgFixture
  repoDb: ConfDatabase
  /** The archive, when asked for: MariaDB, with its own user. */
  maria?: MariaFixture
  archiveDb?: ConfDatabase
  /** Drops the databases, the role and the user, and removes the folder. */
  drop(): Promise<void>
}

/**
 * `makeDbHome` in a new folder `<tmp>/home` (tmp named by `prefix`), over a new PostgreSQL repository database and,
 * with `archive: 'mariadb'`, a new MariaDB archive database: the set-up of the restore and verify tests.
 */
export async function dbHomeFixture(prefix: string, opts: { archive?: 'mariadb' } = {}): Promise<DbHomeFixture> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), prefix))
  const role = createPgRole()
  const pg = createPgDatabase('repository', role)
  const maria = opts.archive === 'mariadb' ? createMariaDatabase('archive') : undefined
  const repoDb = { url: PG_URL(pg.database), username: role.name, password: role.password }
  const archiveDb = maria && { url: MARIA_URL(maria.database), username: maria.user, password: maria.password }
  const { dir: home, port } = await makeDbHome(path.join(tmp, 'home'), { repository: repoDb, archive: archiveDb })
  return {
    tmp,
    store: path.join(tmp, 'store'),
    home,
    port,
    role,
    pg,
    repoDb,
    maria,
    archiveDb,
    async drop() {
      pg.drop()
      maria?.drop()
      role.drop()
      if (maria) mariaAdmin(`DROP USER IF EXISTS '${maria.user}'@'%';`)
      await rm(tmp, { recursive: true, force: true })
    }
  }
}

/** A `DbHomeFixture` read while tests run, with the archive database required and the job inputs at hand. */
export interface DbHome extends Omit<DbHomeFixture, 'drop' | 'maria' | 'archiveDb'> {
  /** The MariaDB archive; throws unless `useDbHome` was asked for it. */
  readonly maria: MariaFixture
  readonly archiveDb: ConfDatabase
  /** `dbHomeInputs` for the backup named in `useDbHome`. */
  inputs(over?: Inputs): Inputs
}

/**
 * The set-up of a restore test file: a `dbHomeFixture` made before all its tests and dropped after them. The file's
 * own clean-up (`beforeDrop`: scratch databases, which may belong to the fixture's role) runs first, in the same hook,
 * so the role is never dropped while it still owns a database. Call it at the top level of the file.
 */
export function useDbHome(
  prefix: string,
  name: string,
  opts: { archive?: 'mariadb'; beforeDrop?: () => void } = {}
): DbHome {
  let fixture: DbHomeFixture | undefined
  beforeAll(async () => {
    fixture = await dbHomeFixture(prefix, opts)
  })
  afterAll(async () => {
    try {
      opts.beforeDrop?.()
    } finally {
      await fixture?.drop()
    }
  })
  const made = (): DbHomeFixture => {
    if (!fixture) throw new Error(`useDbHome('${prefix}'): the fixture is read before its beforeAll ran`)
    return fixture
  }
  const archive = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`useDbHome('${prefix}'): no archive database; pass { archive: 'mariadb' }`)
    return value
  }
  return readThrough(() => {
    const f = made()
    return {
      ...f,
      get maria() {
        return archive(f.maria)
      },
      get archiveDb() {
        return archive(f.archiveDb)
      },
      inputs: (over: Inputs = {}) => dbHomeInputs(f, name, over)
    }
  })
}

/**
 * The inputs of a job on `f`'s home and store (`storage: directory`, two threads) with the database passwords, for
 * the backup named `name`; `over` adds or replaces any.
 */
export function dbHomeInputs(f: DbHomeFixture, name: string, over: Inputs = {}): Inputs {
  return {
    [Input.Home]: f.home,
    [Input.Storage]: 'directory',
    [Input.Path]: f.store,
    [Input.Name]: name,
    [Input.DatabasePassword]: f.repoDb.password,
    ...(f.archiveDb ? { [Input.ArchiveDatabasePassword]: f.archiveDb.password } : {}),
    [Input.Threads]: '2',
    ...over
  }
}

/** Checksums of every table and sequence of a database, computed in SQL by the server. */
export async function checksums(engine: 'postgresql' | 'mariadb', db: ConfDatabase): Promise<Record<string, string>> {
  const [target] = resolveDatabases(
    homeWith({ repository: { url: db.url, username: db.username, password: db.password } }),
    dbSettings({ mode: engine }),
    new MemoryLogger()
  )
  return await tableChecksums(target)
}

/** Entries of a home (type, mode, SHA-256 or link target), optionally only some top-level names; restore work folders left out. */
export async function homeState(dir: string, only?: string[]): Promise<Map<string, string>> {
  const state = await treeState(dir, only)
  for (const key of [...state.keys()]) if (key.startsWith('.xlr-restore-')) state.delete(key)
  return state
}

/** Modification times (whole seconds, as ZIP keeps them) of every file below `dir`, by relative path. */
export async function fileTimes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const [rel, desc] of await treeState(dir)) {
    if (!desc.startsWith('file ') || rel.startsWith('.xlr-restore-')) continue
    out.set(rel, Math.floor((await lstat(path.join(dir, rel))).mtimeMs / 1000))
  }
  return out
}

/** The complete tree, restore work folders included: byte-identical means nothing at all was written. */
export async function exactTree(dir: string): Promise<string> {
  const state = await treeState(dir)
  return createHash('sha256')
    .update([...state].map(([k, v]) => `${k}\t${v}`).join('\n'))
    .digest('hex')
}

/** Writes `<file>.sha256` for a (tampered) backup, so the storage digest passes and the archive's own checks must catch it. */
export async function reseal(file: string): Promise<void> {
  const sha = createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
  await writeFile(`${file}.sha256`, `${sha}  ${path.basename(file)}\n`)
}

/** Runs a short python3 program with argv; returns its stdout. */
export function python(program: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', program, ...args], { encoding: 'utf8' })
}

/** Offset in the zip of the first byte of `entry`'s (compressed) data. */
export function dataOffset(zipFile: string, entry: string): { offset: number; size: number } {
  const out = python(
    `import sys, zipfile, struct
z = zipfile.ZipFile(sys.argv[1]); i = z.getinfo(sys.argv[2])
f = open(sys.argv[1], 'rb'); f.seek(i.header_offset); h = f.read(30)
n, e = struct.unpack('<HH', h[26:30])
print(i.header_offset + 30 + n + e, i.compress_size)`,
    zipFile,
    entry
  )
  const [offset, size] = out.trim().split(' ').map(Number)
  return { offset, size }
}

/** XORs one byte of `file` at `offset`. */
export async function flipByte(file: string, offset: number): Promise<void> {
  const data = await readFile(file)
  data[offset] ^= 0x5a
  await writeFile(file, data)
}

/** A copy of `zipFile` at `out` whose manifest.json is replaced by `edit(manifest)` (other entries byte-identical). */
export function rewriteManifest(zipFile: string, out: string, edit: string): void {
  python(
    `import sys, zipfile, json
src = zipfile.ZipFile(sys.argv[1]); dst = zipfile.ZipFile(sys.argv[2], 'w')
for i in src.infolist():
    data = src.read(i.filename)
    if i.filename == 'manifest.json':
        m = json.loads(data)
${edit
  .split('\n')
  .map(l => `        ${l}`)
  .join('\n')}
        data = json.dumps(m).encode()
    dst.writestr(i, data, compress_type=i.compress_type)
dst.close()`,
    zipFile,
    out
  )
}

/**
 * A copy of `zipFile` at `out` with extra entries appended before the manifest and recorded in it with correct
 * sizes and hashes: a hostile archive that looks valid. `links` become Unix symlink entries.
 */
export function addHostileEntries(
  zipFile: string,
  out: string,
  files: Record<string, string>,
  links: Record<string, string> = {}
): void {
  python(
    `import sys, zipfile, json, hashlib, time
src = zipfile.ZipFile(sys.argv[1]); dst = zipfile.ZipFile(sys.argv[2], 'w')
files = json.loads(sys.argv[3]); links = json.loads(sys.argv[4])
m = json.loads(src.read('manifest.json'))
for i in src.infolist():
    if i.filename != 'manifest.json':
        dst.writestr(i, src.read(i.filename), compress_type=i.compress_type)
now = int(time.time()) * 1000
for name, text in files.items():
    data = text.encode()
    i = zipfile.ZipInfo(name, date_time=time.gmtime()[:6]); i.create_system = 3; i.external_attr = (0o100644 << 16)
    dst.writestr(i, data)
    m['files'].append({'path': name, 'type': 'file', 'mode': 0o644, 'mtime': now, 'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()})
for name, target in links.items():
    data = target.encode()
    i = zipfile.ZipInfo(name, date_time=time.gmtime()[:6]); i.create_system = 3; i.external_attr = (0o120777 << 16)
    dst.writestr(i, data)
    m['files'].append({'path': name, 'type': 'symlink', 'mode': 0o777, 'mtime': now, 'size': len(data), 'sha256': hashlib.sha256(data).hexdigest(), 'target': target})
mi = src.getinfo('manifest.json')
dst.writestr(mi, json.dumps(m).encode(), compress_type=mi.compress_type)
dst.close()`,
    zipFile,
    out,
    JSON.stringify(files),
    JSON.stringify(links)
  )
}
