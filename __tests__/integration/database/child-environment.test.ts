/**
 * What the processes this tool starts really carry, read from /proc/<pid>/environ while they run: the action's inputs
 * (GitHub passes secrets as INPUT_<NAME>), the runner's tokens and the CLI's XLR_* secrets must reach none of them;
 * a database tool sees only its own credential file, a custom command only its own database's XLR_DB_* variables.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { runCustomCommand, customCommandEnv } from '../../../src/database/custom-command.js'
import { mysqlQuery } from '../../../src/database/mysql.js'
import { pgQuery } from '../../../src/database/postgres.js'
import { resolveDatabases } from '../../../src/database/resolve.js'
import { runShellCommand } from '../../../src/guard/shell-command.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { Input } from '../../../src/shared/io-names.js'
import {
  createMariaDatabase,
  createMariaUser,
  createPgDatabase,
  homeWith,
  settings,
  type MariaFixture,
  type PgFixture
} from '../../support/database-fixtures.js'

const stamp = `${process.pid}${Date.now()}`
const secrets = {
  dbPassword: `db-secret-${stamp}`,
  archivePassword: `archive-secret-${stamp}`,
  passphrase: `passphrase-secret-${stamp}`,
  identity: `AGE-SECRET-KEY-1${stamp}QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ`,
  runtimeToken: `runtime-token-${stamp}`,
  oidcToken: `oidc-token-${stamp}`,
  githubToken: `ghs_${stamp}`
}
/** What a runner's environment looks like to the action: inputs, tokens, and the CLI's secret variables. */
const planted: Record<string, string> = {
  'INPUT_DATABASE-PASSWORD': secrets.dbPassword,
  'INPUT_ARCHIVE-DATABASE-PASSWORD': secrets.archivePassword,
  'INPUT_ENCRYPTION-PASSPHRASE': secrets.passphrase,
  'INPUT_ENCRYPTION-IDENTITY': secrets.identity,
  ACTIONS_RUNTIME_TOKEN: secrets.runtimeToken,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: secrets.oidcToken,
  GITHUB_TOKEN: secrets.githubToken,
  XLR_ENCRYPTION_PASSPHRASE: secrets.passphrase,
  // A variable a workflow set from a secret under a name nobody can guess.
  DEPLOY_KEY_COPY: secrets.identity,
  XLR_TEST_HARMLESS: 'keep-me'
}

let tmp: string
const saved: Record<string, string | undefined> = {}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xlr-child-env-'))
  for (const [k, v] of Object.entries(planted)) {
    saved[k] = process.env[k]
    process.env[k] = v
  }
  // As the job does: every secret input is registered with the logger.
  const logger = new MemoryLogger()
  for (const s of [secrets.dbPassword, secrets.archivePassword, secrets.passphrase, secrets.identity]) logger.secret(s)
})
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  await rm(tmp, { recursive: true, force: true })
})

async function environOf(pid: number): Promise<Map<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8')
  const env = new Map<string, string>()
  for (const entry of raw.split('\0').filter(Boolean)) {
    const eq = entry.indexOf('=')
    env.set(entry.slice(0, eq), entry.slice(eq + 1))
  }
  return env
}

/** The raw environ block, for 'no secret anywhere' checks (names and values). */
async function rawEnviron(pid: number): Promise<string> {
  return await readFile(`/proc/${pid}/environ`, 'utf8')
}

async function waitForFile(file: string): Promise<string> {
  // Until the shell has written its pid (the file exists a moment before it holds anything).
  for (let i = 0; i < 400; i++) {
    const text = (await readFile(file, 'utf8').catch(() => '')).trim()
    if (text) return text
    await new Promise(r => setTimeout(r, 25))
  }
  throw new Error(`${file} never got a pid`)
}

/**
 * A child of this process whose executable name is one of `names` and whose arguments include `arg` (the query, not
 * the `--version` look-up that comes first), polled until it appears.
 */
async function childNamed(names: string[], arg: string): Promise<number> {
  for (let i = 0; i < 400; i++) {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
      // pid (comm) state ppid …
      const m = /^\d+ \((.*)\) \S (\d+) /.exec(stat)
      if (!m || Number(m[2]) !== process.pid || !names.includes(m[1])) continue
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0')
      if (argv.includes(arg)) return Number(entry)
    }
    await new Promise(r => setTimeout(r, 20))
  }
  throw new Error(`no child named ${names.join('/')} appeared`)
}

function expectNoSecret(raw: string, except: string[] = []): void {
  for (const [name, value] of Object.entries(secrets)) {
    if (except.includes(value)) continue
    expect({ name, found: raw.includes(value) }).toEqual({ name, found: false })
  }
  expect(raw).not.toMatch(/(^|\0)INPUT_/)
  expect(raw).not.toMatch(/(^|\0)(ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|GITHUB_TOKEN)=/)
}

describe('the environment of every child (read from /proc/<pid>/environ while it runs)', () => {
  test('stop-command and start-command get no secret, no input and no token, but the rest of the environment', async () => {
    for (const label of ['stop-command', 'start-command']) {
      const pidFile = path.join(tmp, `${label}.pid`)
      const running = runShellCommand(`echo $$ > '${pidFile}'; sleep 1`, label, 20_000, new MemoryLogger())
      const pid = Number(await waitForFile(pidFile))
      const raw = await rawEnviron(pid)
      const env = await environOf(pid)
      expect((await running).exitCode).toBe(0)
      expectNoSecret(raw)
      expect(env.has('DEPLOY_KEY_COPY')).toBe(false)
      expect(env.get('XLR_TEST_HARMLESS')).toBe('keep-me')
      expect(env.get('PATH')).toBe(process.env.PATH)
    }
  })

  test('a custom database command gets the basics and its own database only: XLR_DB_* of that one database', async () => {
    const home = homeWith({
      repository: { url: 'jdbc:oracle:thin:@//ora.example.com:1521/XEPDB1', username: 'xlr', password: '{b64}x' },
      archive: { url: 'jdbc:oracle:thin:@//ora2.example.com:1521/ARCH', username: 'arc', password: '{b64}y' }
    })
    const [repository] = resolveDatabases(
      home,
      settings({ repository: { password: secrets.dbPassword }, archive: { password: secrets.archivePassword } }),
      new MemoryLogger()
    )
    const pidFile = path.join(tmp, 'custom.pid')
    const running = runCustomCommand(
      repository,
      Input.DatabaseBackupCommand,
      `echo $$ > '${pidFile}'; sleep 1`,
      customCommandEnv(repository, tmp)
    )
    const pid = Number(await waitForFile(pidFile))
    const raw = await rawEnviron(pid)
    const env = await environOf(pid)
    await running
    expectNoSecret(raw, [secrets.dbPassword])
    expect(env.get('XLR_DB_PASSWORD')).toBe(secrets.dbPassword)
    expect(env.get('XLR_DB_HOST')).toBe('ora.example.com')
    expect(env.has('XLR_TEST_HARMLESS')).toBe(false)
    expect(env.get('PATH')).toBe(process.env.PATH)
    // Its password is in XLR_DB_PASSWORD and nowhere else.
    expect(raw.split(secrets.dbPassword).length).toBe(2)
  })

  describe('with real database tools', () => {
    let pg: PgFixture
    let mariaUser: ReturnType<typeof createMariaUser>
    let maria: MariaFixture

    beforeAll(() => {
      pg = createPgDatabase('repository')
      mariaUser = createMariaUser()
      maria = createMariaDatabase('repository', mariaUser)
    })
    afterAll(() => {
      pg?.drop()
      maria?.drop()
      mariaUser?.drop()
    })

    test('psql sees a PGPASSFILE path, never a password, an input or a token', async () => {
      const [target] = resolveDatabases(
        homeWith({
          repository: { url: `jdbc:postgresql://127.0.0.1:5432/${pg.database}`, username: pg.role, password: '{b64}x' }
        }),
        settings({ repository: { password: pg.password } }),
        new MemoryLogger()
      )
      const running = pgQuery(target, 'SELECT pg_sleep(1.5);')
      const pid = await childNamed(['psql'], '-f')
      const raw = await rawEnviron(pid)
      const env = await environOf(pid)
      await running
      expectNoSecret(raw)
      expect(raw).not.toContain(pg.password)
      expect(env.get('PGPASSFILE')).toMatch(/pgpass$/)
      expect(env.get('PGUSER')).toBe(pg.role)
      expect(env.has('XLR_TEST_HARMLESS')).toBe(false)
    })

    test('the MySQL client sees no password (it reads a 0600 option file), no input and no token', async () => {
      const [target] = resolveDatabases(
        homeWith({
          repository: {
            url: `jdbc:mariadb://127.0.0.1:3306/${maria.database}`,
            username: maria.user,
            password: '{b64}x'
          }
        }),
        settings({ repository: { password: maria.password } }),
        new MemoryLogger()
      )
      const running = mysqlQuery(target, 'SELECT SLEEP(1.5);')
      const pid = await childNamed(['mariadb', 'mysql'], '--batch')
      const raw = await rawEnviron(pid)
      const env = await environOf(pid)
      await running
      expectNoSecret(raw)
      expect(raw).not.toContain(maria.password)
      expect(env.has('MYSQL_PWD')).toBe(false)
      expect(env.has('XLR_TEST_HARMLESS')).toBe(false)
    })
  })
})
