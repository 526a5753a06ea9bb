// Real processes, sockets and folders for the stopped-guard's tests, and the clean-up that goes with them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readFile, realpath, rm, symlink } from 'node:fs/promises'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HomeInfo } from '../../src/home/types.js'
import { ProcFsProcessLister } from '../../src/guard/process-list.js'
import type { ProcessInfo, ProcessLister } from '../../src/guard/types.js'
import type { GuardOptions } from '../../src/guard/index.js'
import { readThrough } from './lazy.js'
import { freePort } from './net.js'

export const FAKE_SERVER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-xlr-server.mjs')
export const BOOTSTRAPPER = 'com.xebialabs.xlrelease.XLReleaseBootstrapper'

/** A temporary root holding a minimal home and a `java` that is really node (so the guard sees a Java process). */
export interface GuardSandbox {
  root: string
  home: string
  java: string
}

export async function makeSandbox(): Promise<GuardSandbox> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'guard-')))
  const home = path.join(root, 'xl-release-server')
  for (const dir of ['conf', 'lib', 'log', 'repository', 'archive', 'work']) {
    await mkdir(path.join(home, dir), { recursive: true })
  }
  return { root, home, java: await fakeJava(root) }
}

/** `<dir>/jdk/bin/java`, a link to node: started as the server, it is a Java process to the guard. */
export async function fakeJava(dir: string): Promise<string> {
  const bin = path.join(dir, 'jdk', 'bin')
  await mkdir(bin, { recursive: true })
  const java = path.join(bin, 'java')
  await symlink(process.execPath, java).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
  return java
}

export async function removeSandbox(sandbox: GuardSandbox | undefined): Promise<void> {
  if (sandbox) await rm(sandbox.root, { recursive: true, force: true })
}

export function homeInfo(home: string, httpPort: number, bindAddress = '0.0.0.0'): HomeInfo {
  return {
    path: home,
    server: { httpPort, bindAddress, contextRoot: '/', ssl: false, serverUrl: null },
    databases: {},
    version: '24.1.0',
    era: 'sql',
    folders: ['archive', 'conf', 'lib', 'log', 'repository', 'work'],
    configFilesRead: []
  }
}

export { freePort }

/**
 * Everything a test starts, stopped in afterEach: listeners, children, and servers known by PID file only (the ones a
 * start-command launched detached).
 */
export class Cleanup {
  private servers: net.Server[] = []
  private children: ChildProcess[] = []
  private pidFiles: string[] = []

  async listen(port: number, host = '127.0.0.1'): Promise<net.Server> {
    const server = net.createServer(socket => socket.destroy())
    this.servers.push(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, resolve)
    })
    return server
  }

  /** Starts a long-running process and waits until the OS shows its command line. */
  async spawn(command: string, args: string[], cwd: string): Promise<ChildProcess> {
    const child = spawn(command, args, { cwd, stdio: 'ignore' })
    this.children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    return child
  }

  /** A process whose command line runs the bootstrapper class (a node that sleeps). */
  spawnBootstrapper(cwd: string, extraArgs: string[] = []): Promise<ChildProcess> {
    return this.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', BOOTSTRAPPER, ...extraArgs], cwd)
  }

  /** A `java` (node under that name) that sleeps, with the given working folder and arguments. */
  spawnJava(java: string, cwd: string, extraArgs: string[] = []): Promise<ChildProcess> {
    return this.spawn(java, ['-e', 'setInterval(() => {}, 1000)', '--', ...extraArgs], cwd)
  }

  trackPidFile(file: string): void {
    this.pidFiles.push(file)
  }

  async run(): Promise<void> {
    for (const server of this.servers.splice(0)) await new Promise(resolve => server.close(resolve))
    for (const child of this.children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }
    }
    for (const file of this.pidFiles.splice(0)) {
      const pid = Number(await readFile(file, 'utf8').catch(() => ''))
      if (pid > 0) await killAndWait(pid)
    }
  }
}

/** The pid of a process that ran and is gone: what a run killed or crashed leaves in its lock and folder names. */
export function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString())
}

/** Whether `pid` is a live process (a zombie waiting to be reaped does not count). Linux /proc. */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  if (stat === null) return false
  return stat.slice(stat.lastIndexOf(')') + 1).trim()[0] !== 'Z'
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function killAndWait(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50)
}

/** Polls `check` until it is true; fails the test with `what` when it never becomes true. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`)
    await sleep(50)
  }
}

/**
 * The real /proc listing, narrowed to processes that involve `root` (their cwd or command line). Tests that assert
 * "nothing is running" use it so a bootstrapper started by another test file running in parallel cannot fail them.
 */
export function scopedLister(root: string): ProcessLister {
  const real = new ProcFsProcessLister()
  return {
    async list(): Promise<ProcessInfo[]> {
      const all = await real.list()
      return all.filter(p => p.commandLine.includes(root) || (p.cwd !== null && p.cwd.startsWith(root)))
    }
  }
}

/**
 * Something `make` builds before each test of the enclosing describe (or file), read through the returned `current`
 * while a test runs; after each test, what the returned `cleanup` started is stopped and its sandbox removed.
 */
function perTest<T>(make: (cleanup: Cleanup) => Promise<T>, sandboxOf: (made: T) => GuardSandbox) {
  const cleanup = new Cleanup()
  let made: T | undefined
  beforeEach(async () => {
    made = await make(cleanup)
  })
  afterEach(async () => {
    await cleanup.run()
    if (made) await removeSandbox(sandboxOf(made))
    made = undefined
  })
  const current = readThrough((): T & object => {
    if (!made) throw new Error('read outside a test: made before each test, removed after it')
    return made as T & object
  })
  return { cleanup, current }
}

/** A new sandbox for each test (see `perTest`). */
export function sandboxPerTest(): { cleanup: Cleanup; sandbox: GuardSandbox } {
  const { cleanup, current } = perTest(
    async () => await makeSandbox(),
    made => made
  )
  return { cleanup, sandbox: current }
}

/** `s` as one single-quoted shell word. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** Where the fake server runs: `java` (a link to node) started in `cwd`, listening on `port`, writing `pidFile`. */
export interface FakeServer {
  java: string
  cwd: string
  port: number
  pidFile: string
  /** How many health requests it answers 503 before it answers 200 (default 0). */
  standbyAnswers?: number
}

/** Starts the fake server detached, as a `java` in its folder; returns once it has written its PID file. */
export async function spawnFakeServer(server: FakeServer): Promise<void> {
  const args = [FAKE_SERVER_SCRIPT, String(server.port), server.pidFile, String(server.standbyAnswers ?? 0)]
  const child = spawn(server.java, args, {
    cwd: server.cwd,
    detached: true,
    stdio: 'ignore'
  })
  child.unref()
  await waitUntil('the fake server is up', async () => (await readFile(server.pidFile, 'utf8').catch(() => '')) !== '')
}

/** The shell line that launches the fake server in the background and returns at once, as `nohup bin/run.sh &` would. */
export function fakeServerStartCommand(server: FakeServer, log = '/dev/null'): string {
  const q = shellQuote
  return (
    `cd ${q(server.cwd)} && nohup ${q(server.java)} ${q(FAKE_SERVER_SCRIPT)} ${server.port} ${q(server.pidFile)} ` +
    `${server.standbyAnswers ?? 0} > ${q(log)} 2>&1 &`
  )
}

/** A sandbox home with a free port, the PID file and start marker the fake server's commands use, and guard options. */
export interface ServerRig {
  sandbox: GuardSandbox
  port: number
  pidFile: string
  marker: string
  opts: GuardOptions
}

/** A new ServerRig for each test (see `perTest`). */
export function serverRigPerTest(): { cleanup: Cleanup; rig: ServerRig } {
  const { cleanup, current } = perTest(serverRig, made => made.sandbox)
  return { cleanup, rig: current }
}

/** Makes a ServerRig whose server `cleanup` kills. */
export async function serverRig(cleanup: Cleanup): Promise<ServerRig> {
  const sandbox = await makeSandbox()
  const pidFile = path.join(sandbox.home, 'work', 'server.pid')
  cleanup.trackPidFile(pidFile)
  return {
    sandbox,
    port: await freePort(),
    pidFile,
    marker: path.join(sandbox.root, 'start-ran'),
    // The real /proc, narrowed to this sandbox: a bootstrapper from a test file running in parallel must not interfere.
    opts: { processLister: scopedLister(sandbox.root), pollIntervalMs: 100, probeTimeoutMs: 500 }
  }
}
