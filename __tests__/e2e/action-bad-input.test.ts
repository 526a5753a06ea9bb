/**
 * Bad input through the bundled action: each run exits 1 with one clear `::error::` that names the input (or the
 * path) and the fix, writes no outputs, leaves no backup or half-written file anywhere, and never stops the server:
 * a stand-in server listens on the home's port, with stop/start commands that would record their use — a mistake
 * in the inputs must cost no outage.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  errorLines,
  freePort,
  requireBundles,
  runAction,
  sampleHome,
  treeHash,
  type ActionRun
} from '../support/e2e-frontends.js'
import { FAKE_SERVER_SCRIPT } from '../support/guard-fixtures.js'

let tmp: string
let home: string
let homeBefore: string
let dest: string
let port: string
let serverLog: string
let pidFile: string

/** The stand-in server (a plain node process, so only the port probe sees it), started in the background. */
function serverCommand(): string {
  return `nohup '${process.execPath}' '${FAKE_SERVER_SCRIPT}' ${port} '${pidFile}' >/dev/null 2>&1 &`
}

async function serverPid(): Promise<number | null> {
  const text = await readFile(pidFile, 'utf8').catch(() => '')
  return text ? Number(text) : null
}

beforeAll(async () => {
  requireBundles()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-action-bad-'))
  home = await sampleHome(path.join(tmp, 'home'), 0.002)
  homeBefore = await treeHash(home)
  dest = path.join(tmp, 'backups')
  port = String(await freePort())
  serverLog = path.join(tmp, 'server-control.log')
  pidFile = path.join(tmp, 'server.pid')
  await new Promise<void>((resolve, reject) => {
    const sh = spawn('/bin/sh', ['-c', serverCommand()], { stdio: 'ignore' })
    sh.on('error', reject)
    sh.on('close', () => resolve())
  })
  for (let i = 0; i < 200 && (await serverPid()) === null; i++) await new Promise(r => setTimeout(r, 50))
  if ((await serverPid()) === null) throw new Error('the stand-in server did not start')
}, 120_000)

afterAll(async () => {
  const pid = await serverPid()
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  await rm(tmp, { recursive: true, force: true })
})

// Each test judges only its own run.
beforeEach(async () => {
  await rm(serverLog, { force: true })
})

/** A backup with storage in `dest` and commands that would record any stop or start of the server. */
function backupInputs(over: Record<string, string>): Record<string, string> {
  return {
    mode: 'backup',
    home,
    storage: 'directory',
    path: dest,
    port,
    threads: '1',
    // SIGKILL and the PID file removed here: the stand-in's own SIGTERM handler removes its PID file later, which
    // could remove the file of the server the start-command has started meanwhile.
    'stop-command': `echo stop >> '${serverLog}'; kill -9 $(cat '${pidFile}') && rm -f '${pidFile}'`,
    'start-command': `echo start >> '${serverLog}'; ${serverCommand()}`,
    'stop-timeout': '20',
    'start-timeout': '20',
    ...over
  }
}

async function expectRefused(
  run: ActionRun,
  message: RegExp,
  serverLogged: string | null = 'never stopped'
): Promise<void> {
  const errors = errorLines(run)
  expect({ code: run.code, errors }).toEqual({ code: 1, errors: [expect.stringMatching(message)] })
  expect(errors[0]).not.toMatch(/Unexpected error/)
  expect(run.outputs).toEqual({})
  expect(run.tempLeft).toEqual([])
  // Nothing written where backups go (hidden partial files included), the server never touched, the home unchanged.
  expect(existsSync(dest) ? await readdir(dest) : []).toEqual([])
  if (serverLogged !== null) expect(await serverLogText()).toBe(serverLogged)
  expect(await treeHash(home)).toBe(homeBefore)
}

async function serverLogText(): Promise<string> {
  return existsSync(serverLog) ? await readFile(serverLog, 'utf8') : 'never stopped'
}

test('a home that does not exist: the path is named and what a home is', async () => {
  const missing = path.join(tmp, 'no-such-home')
  const run = await runAction(backupInputs({ home: missing }))
  await expectRefused(run, new RegExp(`${missing} does not exist; expected XL_RELEASE_SERVER_HOME`))
})

test('a file instead of a folder', async () => {
  const file = path.join(tmp, 'a-file')
  await writeFile(file, 'not a home\n')
  const run = await runAction(backupInputs({ home: file }))
  await expectRefused(run, new RegExp(`${file} is a file, not a folder; expected XL_RELEASE_SERVER_HOME`))
})

test('a folder that is not an XL Release home (no conf/)', async () => {
  const run = await runAction(backupInputs({ home: tmp }))
  await expectRefused(run, /has no conf\/ folder, so it is not an XL Release server home/)
})

test('an unknown storage names the input and the valid values', async () => {
  const run = await runAction(backupInputs({ storage: 'nas' }))
  await expectRefused(
    run,
    /^Input 'storage' has the value "nas"; valid values are 'artifact', 'directory', 'cache', 's3', 'azure'\.$/
  )
})

test.each([
  ['10', /^Input 'compression-level' must be from 0 to 9, got 10\.$/],
  ['-1', /^Input 'compression-level' must be from 0 to 9, got -1\.$/],
  ['best', /^Input 'compression-level' must be a whole number from 0 to 9, got "best"\.$/]
])('compression-level %s is out of range', async (level, message) => {
  const run = await runAction(backupInputs({ 'compression-level': level }))
  await expectRefused(run, message)
})

describe('an unwritable destination (its parent is a file: that stops root too)', () => {
  const unwritable = (): string => path.join(tmp, 'blocker', 'backups')
  let run: ActionRun
  let logged: string

  beforeAll(async () => {
    await rm(serverLog, { force: true })
    await writeFile(path.join(tmp, 'blocker'), 'a file where a folder should be\n')
    run = await runAction(backupInputs({ path: unwritable() }))
    // Read now: the file-wide beforeEach removes the log before each test.
    logged = await serverLogText()
  })

  test('is refused with the input and the reason named, nothing written, the server started again', async () => {
    await expectRefused(
      run,
      /^Input 'path' \(.*\/blocker\/backups\) is not a folder this runner can write to \(ENOTDIR\)/,
      null
    )
    expect(existsSync(unwritable())).toBe(false)
  })

  // The destination is tried before the server stops: a wrong 'path' must not cost an outage.
  test('is found before the server is stopped', async () => {
    expect(run.code).toBe(1)
    expect(logged).toBe('never stopped')
  })
})

test('an artifact name with a forbidden character', async () => {
  const run = await runAction(backupInputs({ storage: 'artifact', path: '', name: 'nightly:prod' }))
  await expectRefused(run, /^Input 'name' \("nightly:prod"\) contains a character backups cannot be named with/)
})

test('a run-id that is not a number', async () => {
  const run = await runAction(
    { mode: 'restore', home, storage: 'artifact', name: 'nightly', 'run-id': 'last', 'github-token': 'ghs_x' },
    { env: { GITHUB_REPOSITORY: 'octo-org/xlr-backups' } }
  )
  await expectRefused(run, /^Input 'run-id' must be a whole number from 1 to \d+, got "last"\.$/)
})

test('another run without a token names github-token and the permission it needs', async () => {
  const run = await runAction(
    { mode: 'restore', home, storage: 'artifact', name: 'nightly', 'run-id': '4242', 'github-token': '' },
    { env: { GITHUB_REPOSITORY: 'octo-org/xlr-backups' } }
  )
  await expectRefused(
    run,
    /^Input 'github-token' is empty but 'run-id: 4242' \(another run\) needs it: .*'actions: read'/
  )
})

test('GitHub Enterprise Server: artifacts refused up front, pointing to directory or cache storage', async () => {
  const run = await runAction(backupInputs({ storage: 'artifact', path: '' }), {
    env: {
      GITHUB_SERVER_URL: 'https://github.example.com',
      GITHUB_API_URL: 'https://github.example.com/api/v3',
      GITHUB_REPOSITORY: 'octo-org/xlr-backups',
      ACTIONS_RUNTIME_TOKEN: 'x',
      ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/'
    }
  })
  await expectRefused(
    run,
    /'storage: artifact' does not work on GitHub Enterprise Server \(https:\/\/github\.example\.com\).*'storage: directory'.*'storage: cache'/
  )
})

// Last, because it writes a backup: proves the stand-in and its commands work, so "never stopped" above means something.
test('the same inputs without the mistake stop the stand-in server, back up, and start it again', async () => {
  const run = await runAction(backupInputs({ name: 'control-run' }))
  expect(errorLines(run)).toEqual([])
  expect(run.code).toBe(0)
  expect(await readFile(serverLog, 'utf8')).toBe('stop\nstart\n')
  expect((await readdir(dest)).sort()).toEqual(['control-run.zip', 'control-run.zip.sha256'])
  expect(await serverPid()).not.toBeNull()
})
