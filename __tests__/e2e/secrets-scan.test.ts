/**
 * The secret scan of issue 6: a backup, a verify into scratch databases and a restore drill of a home whose conf names
 * a real PostgreSQL role and a real MariaDB user with passwords — only as the server leaves them, `{b64}` encrypted,
 * so the real passwords exist only in the `database-password` / `archive-database-password` inputs — encrypted with
 * an `encryption-passphrase`, and failing runs with a wrong database password and a wrong passphrase. Meanwhile a
 * sampler reads every process's command line from /proc. Then every place a secret could leak is scanned for the
 * passwords and passphrases (as is, URL-encoded, hex, base64): every log line (raw, unmasked: the MemoryLogger does
 * not mask), the outputs, the job summaries as text, the error messages with their causes, the backup folder (the
 * .age file and its digest), the decrypted ZIP (manifest and dumps, stored uncompressed so a leak is visible), the
 * restored home, the temp folder, and every sampled command line. Expect zero findings.
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createDecryptStream } from '../../src/crypto/index.js'
import { renderSummaryText } from '../../src/report/render-text.js'
import type { JobResult } from '../../src/report/job-result.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { createPrivateWriteStream } from '../../src/shared/private-files.js'
import {
  createMariaDatabase,
  createMariaUser,
  createPgDatabase,
  createPgRole,
  grantMaria,
  mariaAdmin,
  pgDropDatabase,
  uniqueName,
  type MariaFixture,
  type PgFixture
} from '../support/database-fixtures.js'
import { MARIA_URL, PG_URL, makeDbHome } from '../support/e2e-restore.js'
import { describeFindings, scanForSecrets, startCmdlineSampler, type CmdlineSample } from '../support/secret-scan.js'
import {
  expectFailure,
  loadCore,
  messagesOf,
  settingsFrom,
  unzipTest,
  watchPaths,
  type Core,
  type Inputs
} from '../support/e2e-secrets.js'
import { Output } from '../../src/shared/io-names.js'
import { restoreEnvironmentAfterAll, useRunnerTemp } from '../support/env.js'

let core: Core
let tmp: string
let home: string
let backups: string
let port: number
let pgRole: ReturnType<typeof createPgRole>
let mariaUser: ReturnType<typeof createMariaUser>
let pg: PgFixture
let maria: MariaFixture
const scratchPg: string[] = []
const scratchMaria: string[] = []
const PASSPHRASE = `scan passphrase ${Math.random().toString(36).slice(2)} "ä"`
const WRONG_PASSPHRASE = `wrong passphrase ${Math.random().toString(36).slice(2)}`
const WRONG_DB_PASSWORD = `wrong db password ${Math.random().toString(36).slice(2)}`

/** Everything the runs said, returned, threw: scanned at the end. */
const logs: MemoryLogger[] = []
const results: JobResult[] = []
const errors: unknown[] = []
let samples: CmdlineSample[] = []

function inputs(over: Inputs): Inputs {
  return {
    home,
    storage: 'directory',
    path: backups,
    name: 'e2e-secrets',
    port: String(port),
    'database-password': pgRole.password,
    'archive-database-password': mariaUser.password,
    'encryption-passphrase': PASSPHRASE,
    'compression-level': '0',
    threads: '2',
    ...over
  }
}

async function run(over: Inputs): Promise<JobResult> {
  const logger = new MemoryLogger()
  logs.push(logger)
  const result = await core.runJob(settingsFrom(core, inputs(over)), logger)
  results.push(result)
  return result
}

async function fail(over: Inputs): Promise<Error> {
  const logger = new MemoryLogger()
  logs.push(logger)
  const error = await expectFailure(() => core.runJob(settingsFrom(core, inputs(over)), logger))
  errors.push(error)
  return error
}

const secrets = (): string[] => [pgRole.password, mariaUser.password, PASSPHRASE, WRONG_PASSPHRASE, WRONG_DB_PASSWORD]

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-secrets-'))
  await useRunnerTemp(tmp)
  backups = path.join(tmp, 'backups')
  pgRole = createPgRole()
  pg = createPgDatabase('repository', pgRole)
  mariaUser = createMariaUser()
  maria = createMariaDatabase('archive', mariaUser)
  ;({ dir: home, port } = await makeDbHome(path.join(tmp, 'home'), {
    repository: { url: PG_URL(pg.database), username: pgRole.name, password: pgRole.password },
    archive: { url: MARIA_URL(maria.database), username: mariaUser.name, password: mariaUser.password }
  }))
  core = await loadCore()
}, 300_000)

afterAll(async () => {
  for (const db of scratchPg) pgDropDatabase(db)
  for (const db of scratchMaria) mariaAdmin(`DROP DATABASE IF EXISTS ${db};`)
  pg?.drop()
  maria?.drop()
  pgRole?.drop()
  mariaUser?.drop()
  await rm(tmp, { recursive: true, force: true })
})
restoreEnvironmentAfterAll()

test('backup, verify, restore drill and failing runs leak no password or passphrase anywhere', async () => {
  // The conf holds only the server's encrypted placeholders: the real passwords are in the inputs alone.
  const confScan = await scanForSecrets(secrets(), { dirs: [path.join(home, 'conf')] })
  expect(describeFindings(confScan)).toBe('')

  const sampler = await startCmdlineSampler()
  try {
    // Dumps and temp folders are owner-only while the backup runs (the folder and everything in it).
    const watch = watchPaths([process.env.RUNNER_TEMP!], () => true, 4)
    await run({ mode: 'backup' })
    const seen = await watch.stop()
    expect(seen.filter(s => s.kind === 'dir' && /\/xlr-backup-[^/]+\/[^/]+$/.test(s.path)).length).toBeGreaterThan(0)
    // Every folder is 0700 and every file 0600 from the moment it exists (pg_dump's file is made 0600 before it runs).
    const open = seen.filter(s => (s.kind === 'dir' ? s.mode !== 0o700 : s.mode !== 0o600))
    expect(open.map(s => `${s.path} ${s.mode.toString(8)}`)).toEqual([])

    const verifyPg = uniqueName('e2e_sec_vpg')
    const verifyMaria = uniqueName('e2e_sec_vmaria')
    scratchPg.push(verifyPg)
    scratchMaria.push(verifyMaria)
    grantMaria(mariaUser.name, verifyMaria)
    const verified = await run({
      mode: 'verify',
      home: '',
      'database-url': PG_URL(verifyPg),
      'database-username': pgRole.name,
      'archive-database-url': MARIA_URL(verifyMaria),
      'archive-database-username': mariaUser.name,
      'create-database': 'true'
    })
    expect(verified.outputs[Output.Verified]).toBe('true')
    // The dumps were loaded with the input passwords, not only checked.
    const verifyChecks = verified.summary.tables.flatMap(t => t.rows.map(r => r.join(' ')))
    expect(verifyChecks.filter(c => / dump restored into /.test(c))).toHaveLength(2)

    const drillPg = uniqueName('e2e_sec_dpg')
    const drillMaria = uniqueName('e2e_sec_dmaria')
    scratchPg.push(drillPg)
    scratchMaria.push(drillMaria)
    grantMaria(mariaUser.name, drillMaria)
    await run({
      mode: 'restore',
      home: path.join(tmp, 'drill-home'),
      components: 'all',
      'database-url': PG_URL(drillPg),
      'database-username': pgRole.name,
      'archive-database-url': MARIA_URL(drillMaria),
      'archive-database-username': mariaUser.name,
      'create-database': 'true'
    })

    // Failing runs: their error messages and logs are scanned too.
    // PostgreSQL here trusts 127.0.0.1, so the wrong password is MariaDB's (which checks it).
    const wrongDb = uniqueName('e2e_sec_wmaria')
    scratchMaria.push(wrongDb)
    grantMaria(mariaUser.name, wrongDb)
    const dbError = await fail({
      mode: 'verify',
      home: '',
      'database-password': '',
      'archive-database-url': MARIA_URL(wrongDb),
      'archive-database-username': mariaUser.name,
      'archive-database-password': WRONG_DB_PASSWORD,
      'create-database': 'true'
    })
    expect(`${dbError.constructor.name}: ${dbError.message}`).toMatch(/^DatabaseError: /)
    const passError = await fail({ mode: 'verify', home: '', 'encryption-passphrase': WRONG_PASSPHRASE })
    expect(`${passError.constructor.name}: ${passError.message}`).toMatch(/^EncryptionError: /)
    const backupError = await fail({
      mode: 'backup',
      name: 'e2e-secrets-bad',
      'archive-database-password': WRONG_DB_PASSWORD
    })
    expect(`${backupError.constructor.name}: ${backupError.message}`).toMatch(/^DatabaseError: /)
  } finally {
    samples = await sampler.stop()
  }

  // The sampler saw the database tools run (it can fail: it is not looking at nothing).
  const tools = samples.filter(s =>
    /(^|\/)(pg_dump|pg_restore|psql|mysqldump|mariadb-dump|mysql|mariadb) /.test(s.cmdline)
  )
  expect(tools.length).toBeGreaterThan(0)

  // The plaintext inside the encrypted backup: manifest and dumps, stored uncompressed (compression-level 0).
  const zip = path.join(tmp, 'decrypted.zip')
  await pipeline(
    createReadStream(path.join(backups, 'e2e-secrets.zip.age')),
    await createDecryptStream({ identities: [], passphrase: PASSPHRASE }),
    await createPrivateWriteStream(zip)
  )
  const listing = unzipTest(zip)
  expect(listing.code).toBe(0)
  expect(listing.stdout).toMatch(/manifest\.json/)
  expect(listing.stdout).toMatch(/databases?\//)

  const texts = [
    ...logs.flatMap(l => l.lines.map(line => `${line.level}: ${line.message}`)),
    ...results.map(r => JSON.stringify(r.outputs)),
    ...results.map(r => renderSummaryText(r.summary)),
    ...results.map(r => JSON.stringify(r.summary)),
    ...errors.map(messagesOf),
    ...samples.map(s => `${s.pid}: ${s.cmdline}`)
  ]
  const findings = await scanForSecrets(secrets(), {
    texts,
    files: [zip],
    dirs: [backups, process.env.RUNNER_TEMP!, path.join(tmp, 'drill-home')]
  })
  expect(describeFindings(findings)).toBe('')
  // Nothing is left in the temp folder by any run, failed ones included.
  expect(await readdir(process.env.RUNNER_TEMP!)).toEqual([])
  // Positive control: the scan finds a password put where the scan looks.
  expect(
    (await scanForSecrets(secrets(), { texts: [`PGPASSWORD=${pgRole.password}`, samples[0].cmdline] })).length
  ).toBeGreaterThan(0)
  // The core registers the database passwords it learns; the front ends mask every input marked secret (the
  // passphrase and the identity among them) before the core runs, so the action's log masks them all.
  const learned = new Set(logs.flatMap(l => l.secrets))
  for (const s of [pgRole.password, mariaUser.password]) expect(learned.has(s)).toBe(true)
  const { INPUTS } = await import('../../src/settings/inputs.js')
  expect(INPUTS.filter(i => i.secret).map(i => i.name)).toEqual(
    expect.arrayContaining([
      'database-password',
      'archive-database-password',
      'encryption-passphrase',
      'decryption-identity'
    ])
  )
}, 900_000)

test('the bundled CLI, with the secrets in its environment, prints none and shows none in any command line', async () => {
  const { runCli: runBundledCli } = await import('../support/e2e-frontends.js')
  const env = {
    RUNNER_TEMP: process.env.RUNNER_TEMP!,
    XLR_DATABASE_PASSWORD: pgRole.password,
    XLR_ARCHIVE_DATABASE_PASSWORD: mariaUser.password,
    XLR_ENCRYPTION_PASSPHRASE: PASSPHRASE
  }
  const common = ['--storage', 'directory', '--path', backups, '--verbose']
  const sampler = await startCmdlineSampler()
  const runs: { code: number; stdout: string; stderr: string }[] = []
  let cmdlines: CmdlineSample[]
  try {
    runs.push(
      await runBundledCli(
        ['backup', '--home', home, '--port', String(port), '--name', 'e2e-secrets-cli', ...common],
        env
      )
    )
    runs.push(await runBundledCli(['verify', '--name', 'e2e-secrets-cli', ...common], env))
    // A failing run: the wrong MariaDB password (PostgreSQL trusts 127.0.0.1 here).
    runs.push(
      await runBundledCli(['backup', '--home', home, '--port', String(port), ...common, '--name', 'e2e-cli-bad'], {
        ...env,
        XLR_ARCHIVE_DATABASE_PASSWORD: WRONG_DB_PASSWORD
      })
    )
  } finally {
    cmdlines = await sampler.stop()
  }
  expect(runs.map(r => r.code)).toEqual([0, 0, 1])
  expect(runs[0].stdout + runs[0].stderr).toMatch(/e2e-secrets-cli\.zip\.age/)
  expect(cmdlines.some(s => s.cmdline.includes('xlr-backup.js'))).toBe(true)
  const texts = [...runs.flatMap(r => [r.stdout, r.stderr]), ...cmdlines.map(s => `${s.pid}: ${s.cmdline}`)]
  expect(describeFindings(await scanForSecrets(secrets(), { texts }))).toBe('')
}, 600_000)
