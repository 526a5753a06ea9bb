/**
 * Cancel and kill with real processes: the CLI and the action (run from source with tsx, as separate processes),
 * a stand-in server stopped and started by real shell commands, a database dump that hangs after the stop.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { access, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { jest } from '@jest/globals'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeHome } from '../../../scripts/make-home.js'
import { probePort } from '../../../src/guard/port-probe.js'
import { RUN_FOLDER_PREFIX } from '../../../src/lifecycle/run-folder.js'
import {
  fakeJava,
  fakeServerStartCommand,
  freePort,
  shellQuote,
  spawnFakeServer,
  waitUntil
} from '../../support/guard-fixtures.js'
import { treeState } from '../../support/restore-fixtures.js'
import { cleanEnv } from '../../support/child-env.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
jest.setTimeout(120_000)

let work: string
let home: string
let store: string
let temp: string
let java: string
let port: number
let pidFile: string
let dumpMarker: string
let startMarker: string
const children: ChildProcess[] = []

beforeEach(async () => {
  work = await realpath(await mkdtemp(path.join(os.tmpdir(), 'xlr-cancel-')))
  home = path.join(work, 'home')
  store = path.join(work, 'store')
  temp = path.join(work, 'runner-temp')
  await mkdir(temp)
  await makeHome(home, { scale: 0.002 })
  java = await fakeJava(work)
  port = await freePort()
  pidFile = path.join(work, 'server.pid')
  dumpMarker = path.join(work, 'dump-began')
  startMarker = path.join(work, 'start-ran')
  await startServer()
})

afterEach(async () => {
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // gone
    }
  }
  const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  await rm(work, { recursive: true, force: true })
})

const q = shellQuote
const stopCommand = (): string => `kill "$(cat ${q(pidFile)})"`
const startCommand = (): string =>
  `touch ${q(startMarker)}; ` + fakeServerStartCommand({ java, cwd: home, port, pidFile })
// A custom dump command that hangs: the cancel arrives while the server is stopped and the work runs.
const hangingDump = (): string => `touch ${q(dumpMarker)}; sleep 60`

async function startServer(): Promise<void> {
  await spawnFakeServer({ java, cwd: home, port, pidFile })
  await waitUntil('the stand-in server is up', async () => await serverUp())
}

const serverUp = async (): Promise<boolean> => (await probePort('127.0.0.1', port, 500)).state === 'open'
const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false
  )

interface Run {
  child: ChildProcess
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

/** Runs a source entry point with tsx in its own process group (so the test can clean up the hanging dump). */
function runEntry(entry: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry), ...args], {
    cwd: root,
    env: { ...cleanEnv(), ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    resolve => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, done }
}

const backupInputs = (): Record<string, string> => ({
  home,
  storage: 'directory',
  path: store,
  name: 'cancelled',
  port: String(port),
  'database-url': 'jdbc:oracle:thin:@//127.0.0.1:1/XE',
  'database-username': 'xlr',
  'database-backup-command': hangingDump(),
  'stop-command': stopCommand(),
  'start-command': startCommand(),
  'start-timeout': '30'
})

async function runFoldersIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(n => n.startsWith(RUN_FOLDER_PREFIX))
}

describe('cancelling a backup after the stop-command ran', () => {
  it('CLI, SIGTERM: the start-command runs, the run folder is removed, the exit is non-zero and says so', async () => {
    const flags = Object.entries(backupInputs()).flatMap(([k, v]) => [`--${k}`, v])
    const run = runEntry('src/cli-main.ts', ['backup', ...flags], {
      RUNNER_TEMP: temp,
      XLR_DATABASE_PASSWORD: 'dump-secret-123'
    })
    await waitUntil('the dump began (the server is stopped)', async () => await exists(dumpMarker), 60_000)
    expect(await serverUp()).toBe(false)
    expect(await runFoldersIn(temp)).toHaveLength(1)

    run.child.kill('SIGTERM')
    const { code, stderr } = await run.done

    expect(code).toBe(1)
    expect(stderr).toContain('Received SIGTERM: cancelling')
    expect(stderr).toContain('xlr-backup: cancelled (SIGTERM): the server was started again')
    expect(await exists(startMarker)).toBe(true)
    expect(await serverUp()).toBe(true)
    expect(await readdir(temp)).toEqual([])
    expect((await readdir(store)).filter(n => n.includes('partial') || n.startsWith('cancelled'))).toEqual([])
  })

  it('CLI, SIGTERM while a slow stop-command runs: it is killed (so it cannot stop the restarted server) and the server is started', async () => {
    const stopBegan = path.join(work, 'stop-began')
    const flags = Object.entries({
      ...backupInputs(),
      'stop-command': `touch ${q(stopBegan)}; sleep 6; ${stopCommand()}`,
      'stop-timeout': '60'
    }).flatMap(([k, v]) => [`--${k}`, v])
    const run = runEntry('src/cli-main.ts', ['backup', ...flags], {
      RUNNER_TEMP: temp,
      XLR_DATABASE_PASSWORD: 'dump-secret-123'
    })
    await waitUntil('the stop-command began', async () => await exists(stopBegan), 60_000)
    run.child.kill('SIGTERM')
    const { code, stderr } = await run.done

    expect(code).toBe(1)
    expect(stderr).toContain('xlr-backup: cancelled (SIGTERM): the server was started again')
    expect(await exists(startMarker)).toBe(true)
    expect(await readdir(temp)).toEqual([])
    // Past the moment the stop-command would have stopped the server, had it been left running.
    await new Promise(resolve => setTimeout(resolve, 7000))
    expect(await serverUp()).toBe(true)
    expect(await exists(dumpMarker)).toBe(false)
  })

  it('action, SIGKILL: the post step starts the server; the next run removes the dead run folder', async () => {
    const stateFile = path.join(work, 'github-state')
    await writeFile(stateFile, '')
    const inputs = Object.fromEntries(
      Object.entries({ ...backupInputs(), mode: 'backup', 'database-password': 'dump-secret-123' }).map(([k, v]) => [
        `INPUT_${k.toUpperCase()}`,
        v
      ])
    )
    const main = runEntry('src/index.ts', [], { ...inputs, RUNNER_TEMP: temp, GITHUB_STATE: stateFile })
    await waitUntil('the dump began (the server is stopped)', async () => await exists(dumpMarker), 60_000)
    main.child.kill('SIGKILL')
    const killed = await main.done
    expect(killed.signal).toBe('SIGKILL')
    expect(await serverUp()).toBe(false)
    const deadFolders = await runFoldersIn(temp)
    expect(deadFolders).toHaveLength(1)

    const state = parseStateFile(await readFile(stateFile, 'utf8'))
    expect(JSON.parse(state['server-stopped'])).toMatchObject({ home, port })
    const post = runEntry('src/post-main.ts', [], {
      'STATE_server-stopped': state['server-stopped'],
      'INPUT_START-COMMAND': startCommand(),
      'INPUT_START-TIMEOUT': '30'
    })
    const posted = await post.done
    expect(posted.code).toBe(0)
    expect(posted.stdout).toContain('did not start it again')
    expect(posted.stdout).toContain(`XL Release is up again: port ${port} answers`)
    expect(await serverUp()).toBe(true)

    // With nothing recorded, the post step does nothing at all.
    const idle = await runEntry('src/post-main.ts', [], { 'INPUT_START-COMMAND': `touch ${q(path.join(work, 'no'))}` })
      .done
    expect(idle.code).toBe(0)
    expect(await exists(path.join(work, 'no'))).toBe(false)

    // The next run (here a verify that fails fast) removes the dead run's folder and logs it.
    const next = await runEntry(
      'src/cli-main.ts',
      ['verify', '--storage', 'directory', '--path', store, '--name', 'none-such'],
      { RUNNER_TEMP: temp }
    ).done
    expect(next.code).toBe(1)
    expect(next.stderr).toContain(`Removed ${path.join(temp, deadFolders[0])}`)
    expect(await readdir(temp)).toEqual([])
  })
})

/**
 * Inputs for a backup and restore of a "database" that is one file, dumped and loaded by custom commands; the load
 * sends its parent ($PPID: the CLI or action) `signal` once, so it lands after the home was swapped and while the
 * database is loaded.
 */
function fileDatabase(signal: 'TERM' | 'KILL'): { db: string; common: Record<string, string> } {
  const db = path.join(work, 'db.txt')
  const signalled = path.join(work, 'signalled')
  const pause = signal === 'TERM' ? ' sleep 3;' : ''
  return {
    db,
    common: {
      home,
      storage: 'directory',
      path: store,
      port: String(port),
      'database-url': 'jdbc:oracle:thin:@//127.0.0.1:1/XE',
      'database-username': 'xlr',
      'database-backup-command': `cp ${q(db)} "$XLR_DUMP_FILE"`,
      'database-restore-command':
        `cp "$XLR_DUMP_FILE" ${q(db)}; ` +
        `[ -e ${q(signalled)} ] || { touch ${q(signalled)}; kill -${signal} $PPID;${pause} }`,
      'stop-command': stopCommand(),
      'start-command': startCommand(),
      'start-timeout': '30'
    }
  }
}

describe('cancelling a restore while it changes the home', () => {
  it('CLI, SIGTERM during the database restore: the restore rolls back, then the server is started', async () => {
    const { db, common } = fileDatabase('TERM')
    await writeFile(db, 'as backed up\n')
    const flags = (o: Record<string, string>): string[] => Object.entries(o).flatMap(([k, v]) => [`--${k}`, v])
    const env = { RUNNER_TEMP: temp, XLR_DATABASE_PASSWORD: 'dump-secret-123' }
    const backup = await runEntry('src/cli-main.ts', ['backup', ...flags({ ...common, name: 'before' })], env).done
    expect(backup.code).toBe(0)

    await writeFile(db, 'changed since\n')
    await writeFile(path.join(home, 'conf', 'changed-since.conf'), 'x=1\n')
    const before = withoutRestoreWork(await treeState(home))
    await rm(startMarker, { force: true })

    const restore = await runEntry(
      'src/cli-main.ts',
      ['restore', ...flags({ ...common, name: 'before', 'interrupted-restore': '' })],
      env
    ).done

    expect(restore.stderr).toContain('Received SIGTERM: cancelling')
    expect(restore.code).toBe(1)
    expect(restore.stderr).toContain('Every change was undone')
    expect(restore.stderr).toContain('cancelled (SIGTERM): the server was started again')
    expect(await readFile(db, 'utf8')).toBe('changed since\n')
    expect(withoutRestoreWork(await treeState(home))).toEqual(before)
    expect(await exists(startMarker)).toBe(true)
    expect(await serverUp()).toBe(true)
    expect(await readdir(temp)).toEqual([])
  })

  it('action, SIGKILL during the database restore: the post step refuses to start the server on a half-restored home', async () => {
    const { db, common } = fileDatabase('KILL')
    await writeFile(db, 'as backed up\n')
    const flags = Object.entries({ ...common, name: 'before' }).flatMap(([k, v]) => [`--${k}`, v])
    const env = { RUNNER_TEMP: temp, XLR_DATABASE_PASSWORD: 'dump-secret-123' }
    expect((await runEntry('src/cli-main.ts', ['backup', ...flags], env).done).code).toBe(0)

    const stateFile = path.join(work, 'github-state')
    await writeFile(stateFile, '')
    const inputs = Object.fromEntries(
      Object.entries({ ...common, mode: 'restore', name: 'before', 'database-password': 'dump-secret-123' }).map(
        ([k, v]) => [`INPUT_${k.toUpperCase()}`, v]
      )
    )
    const main = await runEntry('src/index.ts', [], { ...inputs, RUNNER_TEMP: temp, GITHUB_STATE: stateFile }).done
    expect(main.signal).toBe('SIGKILL')
    expect(await serverUp()).toBe(false)

    const state = parseStateFile(await readFile(stateFile, 'utf8'))
    await rm(startMarker, { force: true })
    const post = await runEntry('src/post-main.ts', [], {
      'STATE_server-stopped': state['server-stopped'],
      'INPUT_START-COMMAND': startCommand(),
      'INPUT_START-TIMEOUT': '30'
    }).done
    expect(post.code).toBe(1)
    expect(post.stdout).toContain(
      'XL Release was not started: the main step was killed while a restore was changing the home'
    )
    expect(post.stdout).toContain("'interrupted-restore: rollback'")
    expect(await exists(startMarker)).toBe(false)
    expect(await serverUp()).toBe(false)
  })
})

/** The tree without the restore's own work folder (its journal stays as a record of the rolled-back restore). */
function withoutRestoreWork(tree: Map<string, string>): Map<string, string> {
  return new Map([...tree].filter(([rel]) => !rel.startsWith('.xlr-restore-')))
}

/** The runner's GITHUB_STATE file: `name<<delimiter`, the value, the delimiter; a later value wins. */
function parseStateFile(text: string): Record<string, string> {
  const state: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i])
    if (!m) continue
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
    state[m[1]] = value.join('\n')
  }
  return state
}
