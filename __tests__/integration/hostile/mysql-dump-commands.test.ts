/**
 * A forged MariaDB dump (consistent SHA-256 in the manifest) that holds client commands — `\!`, `system`, `source`,
 * `tee`, `pager` — is refused by the restore of one database and by whole restore and verify runs: the canary file the
 * command would create never appears, and the target database is unchanged (the forged dump also changes data before
 * its command, so a half-run load would show).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { DatabaseRecord } from '../../../src/format/manifest.js'
import { dumpDatabase, resolveDatabases, restoreDatabase, tableChecksums } from '../../../src/database/index.js'
import { findMysqlTool, mysqlClientGuardFlags } from '../../../src/database/mysql.js'
import type { DatabaseTarget } from '../../../src/database/types.js'
import { IntegrityError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { Input } from '../../../src/settings/inputs.js'
import { homeWith, mariaAdmin, settings, useScratchLogins } from '../../support/database-fixtures.js'
import {
  MARIA_URL,
  exactTree,
  makeDbHome,
  python,
  reseal,
  run,
  runFailing,
  type ConfDatabase,
  type Inputs
} from '../../support/e2e-restore.js'

const scratch = useScratchLogins('xlr-hostile-mysql-', { mariadb: ['repository'] })
const { user } = scratch
const { repository: maria } = scratch.maria
let target: DatabaseTarget
let genuine: { dir: string; record: DatabaseRecord; sql: string }

const canary = (name: string): string => path.join(scratch.tmp, 'canaries', name)

/** The genuine dump with a data change and then `command` inserted after the first table's data. */
function forge(command: string): string {
  const at = genuine.sql.indexOf('UNLOCK TABLES;\n') + 'UNLOCK TABLES;\n'.length
  expect(at).toBeGreaterThan(100)
  return `${genuine.sql.slice(0, at)}INSERT INTO XL_VERSION VALUES ('forged', '6.6.6');\n${command}\n${genuine.sql.slice(at)}`
}

/** A dump folder and manifest record for `sql`, with a matching SHA-256: only the content gives it away. */
async function forgedDump(name: string, sql: string): Promise<{ dir: string; record: DatabaseRecord }> {
  const dir = path.join(scratch.tmp, 'forged', name)
  await mkdir(dir, { recursive: true })
  const gz = gzipSync(Buffer.from(sql, 'utf8'))
  await writeFile(path.join(dir, 'dump.sql.gz'), gz)
  const dump = { ...genuine.record.dump!, bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') }
  return { dir, record: { ...genuine.record, dump } }
}

const restoreOpts = () => ({ jobs: 1, createIfMissing: false, allowForeignTarget: false, logger: new MemoryLogger() })

beforeAll(async () => {
  await mkdir(path.join(scratch.tmp, 'canaries'))
  ;[target] = resolveDatabases(
    homeWith({ repository: { url: MARIA_URL(maria.database), username: user.name, password: '{b64}x' } }),
    settings({ repository: { password: user.password } }),
    new MemoryLogger()
  )
  const dir = path.join(scratch.tmp, 'genuine')
  const dumped = await dumpDatabase(target, dir, { jobs: 1, logger: new MemoryLogger() })
  const sql = gunzipSync(await readFile(path.join(dir, 'dump.sql.gz'))).toString('utf8')
  genuine = { dir, record: dumped.record, sql }
})

describe('a MariaDB dump holding client commands', () => {
  test('fed straight to the client, as before, the command runs on this host (the hole is real)', () => {
    const file = canary('unguarded')
    execFileSync(
      'mariadb',
      ['--protocol=TCP', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '--database', maria.database],
      { input: `SELECT 1;\n\\! touch '${file}'\n`, stdio: ['pipe', 'ignore', 'ignore'] }
    )
    expect(existsSync(file)).toBe(true)
  })

  test("this client's own guards are found and hold even without the filter", async () => {
    const client = await findMysqlTool(target, 'client')
    const flags = await mysqlClientGuardFlags(client)
    expect(flags).toContain('--binary-mode')
    if (client.flavour === 'mariadb') expect(flags).toContain('--sandbox')
    const file = canary('client-guards-only')
    for (const command of [`\\! touch '${file}'`, `system touch '${file}'`, `tee ${file}`]) {
      try {
        execFileSync(
          client.path,
          [...flags, '--protocol=TCP', '-h', '127.0.0.1', '-u', 'root', '--database', maria.database],
          { input: `SELECT 1;\n${command}\nSELECT 2;\n`, stdio: ['pipe', 'ignore', 'ignore'] }
        )
      } catch {
        // The client stops with an error: what matters is that nothing ran.
      }
    }
    expect(existsSync(file)).toBe(false)
  })

  test.each([
    ['\\!', (f: string) => `\\! touch '${f}'`],
    ['system', (f: string) => `system touch '${f}'`],
    ['\\! inside a versioned comment', (f: string) => `/*!50000 \\! touch '${f}' */;`],
    ['source', (f: string) => `source ${f}`],
    ['tee', (f: string) => `tee ${f}`],
    ['pager', (f: string) => `pager touch '${f}'`]
  ])('%s: refused before anything is loaded; no canary, the database unchanged', async (name, command) => {
    const file = canary(`restore-${name.replace(/\W+/g, '_')}`)
    // 'source' reads the canary: give it something that would change data if it ran.
    if (name === 'source') await writeFile(file, "INSERT INTO XL_VERSION VALUES ('sourced', '1');\n")
    const before = await tableChecksums(target)
    const forged = await forgedDump(name.replace(/\W+/g, '_'), forge(command(file)))
    const error = await restoreDatabase(target, forged.dir, forged.record, restoreOpts()).catch(e => e)
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/is refused: line \d+ holds the client command/)
    expect(error.message).toMatch(/never as a script: this backup was altered/)
    if (name === 'source') expect(await readFile(file, 'utf8')).toMatch(/sourced/)
    else expect(existsSync(file)).toBe(false)
    expect(await tableChecksums(target)).toEqual(before)
  })

  test('the genuine dump still restores (through the filter and the guarded client)', async () => {
    mariaAdmin(`DELETE FROM XLR_TASKS WHERE CI_UID % 3 = 0;`, maria.database)
    await restoreDatabase(target, genuine.dir, genuine.record, restoreOpts())
    const restored = await tableChecksums(target)
    expect(restored.XLR_TASKS).toMatch(/^4000\|/)
    expect(restored.XL_VERSION).toMatch(/^2\|/)
  })
})

describe('whole runs: restore and the verify drill refuse a backup whose dump holds \\!', () => {
  let store: string
  let home: string
  let db: ConfDatabase
  let forgedName: string
  const file = (): string => canary('job')

  const inputs = (over: Inputs = {}): Inputs => ({
    [Input.Mode]: 'restore',
    [Input.Home]: home,
    [Input.Storage]: 'directory',
    [Input.Path]: store,
    [Input.Name]: forgedName,
    [Input.DatabasePassword]: db.password,
    [Input.ArchiveDatabasePassword]: db.password,
    [Input.Components]: 'all',
    [Input.Threads]: '2',
    ...over
  })

  beforeAll(async () => {
    store = path.join(scratch.tmp, 'store')
    db = { url: MARIA_URL(maria.database), username: user.name, password: user.password }
    home = (await makeDbHome(path.join(scratch.tmp, 'home'), { repository: db, archive: db })).dir
    await run({ ...inputs(), [Input.Mode]: 'backup', [Input.Name]: 'genuine' })
    const zip = (await readdir(store)).find(f => f.startsWith('genuine') && f.endsWith('.zip'))!
    forgedName = 'forged'
    const forgedZip = path.join(store, zip.replace(/^genuine/, forgedName))
    const forgedSql = forge(`\\! touch '${file()}'`)
    const gz = path.join(scratch.tmp, 'forged-job.sql.gz')
    await writeFile(gz, gzipSync(Buffer.from(forgedSql, 'utf8')))
    // Replace the dump entry and make the manifest agree (sizes and SHA-256 of the entry and of the dump record).
    python(
      `import sys, zipfile, json, hashlib
src = zipfile.ZipFile(sys.argv[1]); dst = zipfile.ZipFile(sys.argv[2], 'w')
data = open(sys.argv[3], 'rb').read(); sha = hashlib.sha256(data).hexdigest()
m = json.loads(src.read('manifest.json'))
names = [f['path'] for f in m['files'] if f['path'].startswith('database/') and f['path'].endswith('dump.sql.gz')]
assert len(names) == 1, names
for f in m['files']:
    if f['path'] == names[0]: f['size'] = len(data); f['sha256'] = sha
for d in m['databases']:
    if d.get('dump'): d['dump']['bytes'] = len(data); d['dump']['sha256'] = sha
for i in src.infolist():
    if i.filename == 'manifest.json': continue
    dst.writestr(i, data if i.filename == names[0] else src.read(i.filename), compress_type=i.compress_type)
dst.writestr(src.getinfo('manifest.json'), json.dumps(m).encode())
dst.close()`,
      path.join(store, zip),
      forgedZip,
      gz
    )
    await reseal(forgedZip)
  })

  test('restore: refused, no canary, the database and the home unchanged', async () => {
    const before = { db: await tableChecksums(target), home: await exactTree(home) }
    const { error } = await runFailing(inputs())
    expect(error.message).toMatch(/holds the client command '\\!'/)
    expect(existsSync(file())).toBe(false)
    expect(await tableChecksums(target)).toEqual(before.db)
    expect(await exactTree(home)).toBe(before.home)
  })

  test('verify without a scratch database (nothing is loaded): refused all the same, as restore would', async () => {
    const { error } = await runFailing(inputs({ [Input.Mode]: 'verify', [Input.Home]: '', [Input.Components]: '' }))
    expect(error.message).toMatch(
      /dump of the repository \+ archive database \(dump\.sql\.gz\) is refused: line \d+ holds the client command '\\!'/
    )
    expect(existsSync(file())).toBe(false)
    // The genuine backup still verifies.
    await run(inputs({ [Input.Mode]: 'verify', [Input.Home]: '', [Input.Components]: '', [Input.Name]: 'genuine' }))
  })

  test('verify into a scratch database: refused, no canary, the scratch database left empty', async () => {
    const emptyDb = scratch.extraDatabase('mariadb', 'dbt_scratch')
    mariaAdmin(`CREATE DATABASE ${emptyDb};\nGRANT ALL ON ${emptyDb}.* TO '${user.name}'@'%';`)
    const { error } = await runFailing(
      inputs({
        [Input.Mode]: 'verify',
        [Input.Home]: '',
        [Input.Components]: '',
        [Input.DatabaseUrl]: MARIA_URL(emptyDb),
        [Input.DatabaseUsername]: user.name,
        [Input.ArchiveDatabaseUrl]: MARIA_URL(emptyDb),
        [Input.ArchiveDatabaseUsername]: user.name
      })
    )
    expect(error.message).toMatch(/holds the client command '\\!'/)
    expect(existsSync(file())).toBe(false)
    expect(mariaAdmin(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${emptyDb}';`).trim()).toBe(
      '0'
    )
  })
})
