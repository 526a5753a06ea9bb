import { access, readdir, readFile } from 'node:fs/promises'
import * as path from 'node:path'
import { ServerStartError, withServerStopped, type ServerControl } from '../../src/guard/index.js'
import { probePort } from '../../src/guard/port-probe.js'
import { InputError, ServerRunningError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import {
  fakeServerStartCommand,
  freePort,
  homeInfo,
  isRunning,
  serverRigPerTest,
  scopedLister,
  shellQuote,
  spawnFakeServer,
  waitUntil,
  type FakeServer
} from '../support/guard-fixtures.js'

const { rig } = serverRigPerTest()

const q = shellQuote
const server = (): FakeServer => ({
  java: rig.sandbox.java,
  cwd: rig.sandbox.home,
  port: rig.port,
  pidFile: rig.pidFile
})
const stopCommand = (): string => `kill "$(cat ${q(rig.pidFile)})"`
const startCommand = (): string => fakeServerStartCommand(server(), path.join(rig.sandbox.home, 'log', 'server.log'))

const control = (over: Partial<ServerControl> = {}): ServerControl => ({
  stopCommand: stopCommand(),
  startCommand: startCommand(),
  stopTimeoutSeconds: 20,
  startTimeoutSeconds: 20,
  ...over
})

/** The fake server, running as a `java` in the home, listening on the port; resolves with its PID. */
async function startFakeServer(): Promise<number> {
  await spawnFakeServer(server())
  return (await serverPid())!
}

async function serverPid(): Promise<number | null> {
  const text = await readFile(rig.pidFile, 'utf8').catch(() => '')
  return text ? Number(text) : null
}

async function portState(): Promise<string> {
  return (await probePort('127.0.0.1', rig.port, 500)).state
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false
  )

describe('withServerStopped with a real fake server', () => {
  test('stops the server, runs the work while it is down, and starts it again', async () => {
    const oldPid = await startFakeServer()
    const logger = new MemoryLogger()
    let ranWhileDown = false
    const result = await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control(),
      rig.opts,
      logger,
      async () => {
        expect(await portState()).toBe('closed')
        // The fake server closes its port at once but lingers: only the process probe makes us wait for it.
        expect(await isRunning(oldPid)).toBe(false)
        ranWhileDown = true
        return 'backup written'
      }
    )
    expect(result).toBe('backup written')
    expect(ranWhileDown).toBe(true)
    expect(await portState()).toBe('open')
    await waitUntil('the new PID file is written', async () => ((await serverPid()) ?? oldPid) !== oldPid)
    expect(await isRunning((await serverPid())!)).toBe(true)

    const info = logger.messages('info').join('\n')
    expect(info).toContain(`port ${rig.port} (http.port) accepts connections at 127.0.0.1:${rig.port}`)
    expect(info).toContain(`process ${oldPid} is a Java process working in ${rig.sandbox.home}`)
    expect(info).toContain('Running the stop-command: kill')
    expect(info).toMatch(/XL Release is stopped \([\d.]+ s after running the stop-command\)/)
    expect(info).toContain('Running the start-command: cd')
    expect(info).toContain(`XL Release is up again: port ${rig.port} answers at 127.0.0.1:${rig.port}`)
    expect(logger.messages('error')).toEqual([])
  })

  test('reports the outage: down once the server is proven stopped, over when the start-command runs', async () => {
    await startFakeServer()
    const events: string[] = []
    const outage = {
      down: () => events.push('down'),
      starting: () => events.push('starting')
    }
    await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control(),
      { ...rig.opts, outage },
      new MemoryLogger(),
      async () => {
        events.push(`work (port ${await portState()})`)
      }
    )
    expect(events).toEqual(['down', 'work (port closed)', 'starting'])
    expect(await portState()).toBe('open')

    // A server that was not running is not this run's outage.
    const idle: string[] = []
    await withServerStopped(
      homeInfo(rig.sandbox.home, await freePort()),
      control({ stopCommand: '', startCommand: '' }),
      {
        ...rig.opts,
        processLister: scopedLister(path.join(rig.sandbox.root, 'none')),
        outage: { down: () => idle.push('down'), starting: () => idle.push('starting') }
      },
      new MemoryLogger(),
      async () => undefined
    )
    expect(idle).toEqual([])
  })

  test('starts the server again when the work throws, and the work error is the one thrown', async () => {
    const oldPid = await startFakeServer()
    const logger = new MemoryLogger()
    const failure = new Error('disk full while writing the backup')
    let ranWhileDown = false
    const outcome = withServerStopped(homeInfo(rig.sandbox.home, rig.port), control(), rig.opts, logger, async () => {
      ranWhileDown = (await portState()) === 'closed' && !(await isRunning(oldPid))
      throw failure
    })
    await expect(outcome).rejects.toBe(failure)
    expect(ranWhileDown).toBe(true)
    expect(await portState()).toBe('open')
    expect(logger.messages('info')).toContain('Starting XL Release again because the backup failed.')
    expect(logger.messages('info').join('\n')).toContain('XL Release is up again')
  })

  test('a stop-command that does not stop the server: timeout error, no work, the start-command still runs', async () => {
    const pid = await startFakeServer()
    const logger = new MemoryLogger()
    const work = trackedWork()
    const error = (await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({
        stopCommand: 'echo pretending to stop',
        startCommand: `touch ${q(rig.marker)}`,
        stopTimeoutSeconds: 1.5
      }),
      rig.opts,
      logger,
      work
    ).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain('still running when stop-timeout (1.5 s) ran out, so the backup was not started')
    expect(error.message).toContain(`port ${rig.port} (http.port) accepts connections at 127.0.0.1:${rig.port}`)
    expect(error.message).toContain(`process ${pid} is a Java process`)
    expect(work.calls).toBe(0)
    expect(logger.messages('info')).toContain('[stop-command] pretending to stop')
    expect(await exists(rig.marker)).toBe(true)
    expect(await isRunning(pid)).toBe(true)
  })

  test('a stop-command that hangs is killed at stop-timeout, with everything it started', async () => {
    await startFakeServer()
    const tag = `${process.pid}${Date.now() % 100000}`
    const work = trackedWork()
    const error = (await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ stopCommand: `sleep 30.${tag} & sleep 31.${tag}`, stopTimeoutSeconds: 1 }),
      rig.opts,
      new MemoryLogger(),
      work
    ).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain('did not finish within stop-timeout (1 s) and was killed')
    expect(work.calls).toBe(0)
    await waitUntil('the stop-command processes are gone', async () => (await sleepersTagged(tag)) === 0)
  })

  test('a stop-command that fails but stops the server anyway: a warning, and the work runs', async () => {
    await startFakeServer()
    const logger = new MemoryLogger()
    const result = await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ stopCommand: `${stopCommand()}; echo "server.sh: odd pid file" >&2; exit 1` }),
      rig.opts,
      logger,
      async () => portState()
    )
    expect(result).toBe('closed')
    expect(logger.messages('warning')).toContain(
      'The stop-command exited with code 1, but every probe says XL Release is stopped now; going on.'
    )
    expect(logger.messages('info')).toContain('[stop-command] server.sh: odd pid file')
    expect(await portState()).toBe('open')
  })

  test('a failing stop-command that leaves the server up is refused with its exit code', async () => {
    await startFakeServer()
    const work = trackedWork()
    await expect(
      withServerStopped(
        homeInfo(rig.sandbox.home, rig.port),
        control({
          stopCommand: 'echo "Unit xl-release.service not loaded." >&2; exit 5',
          startCommand: 'true',
          stopTimeoutSeconds: 2
        }),
        { ...rig.opts },
        new MemoryLogger(),
        work
      )
    ).rejects.toThrow(
      /The stop-command exited with code 5 and XL Release is still running, so the backup was not started/
    )
    expect(work.calls).toBe(0)
  })

  test('a server found stopped is left as found: no stop, no start', async () => {
    const logger = new MemoryLogger()
    const stopMarker = path.join(rig.sandbox.root, 'stop-ran')
    const result = await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ stopCommand: `touch ${q(stopMarker)}`, startCommand: `touch ${q(rig.marker)}` }),
      rig.opts,
      logger,
      async () => 42
    )
    expect(result).toBe(42)
    expect(await exists(stopMarker)).toBe(false)
    expect(await exists(rig.marker)).toBe(false)
    expect(logger.messages('info')).toContain(
      'XL Release is not running: it is left as found and will not be started after the backup.'
    )
  })

  test('a running server and no stop-command: refused as assertServerStopped would, the server untouched', async () => {
    const pid = await startFakeServer()
    const work = trackedWork()
    const error = (await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ stopCommand: undefined }),
      { ...rig.opts, purpose: 'restore' },
      new MemoryLogger(),
      work
    ).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain(`the restore of ${rig.sandbox.home} was not started`)
    expect(error.message).toContain(`port ${rig.port}`)
    expect(error.message).toContain(`process ${pid}`)
    expect(work.calls).toBe(0)
    expect(await isRunning(pid)).toBe(true)
  })

  test('a failed start after a successful work says the backup itself succeeded', async () => {
    await startFakeServer()
    const error = (await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ startCommand: 'echo "no such unit" >&2; exit 3' }),
      rig.opts,
      new MemoryLogger(),
      async () => 'ok'
    ).catch((e: unknown) => e)) as ServerStartError
    expect(error).toBeInstanceOf(ServerStartError)
    expect(error.workSucceeded).toBe(true)
    expect(error.message).toBe(
      'The backup itself succeeded, but XL Release was not started again: the start-command exited with code 3 ' +
        '(its output is in the log above). Start it by hand.'
    )
  })

  test('a start-command after which nothing answers fails at start-timeout', async () => {
    await startFakeServer()
    await expect(
      withServerStopped(
        homeInfo(rig.sandbox.home, rig.port),
        control({ startCommand: 'true', startTimeoutSeconds: 1 }),
        rig.opts,
        new MemoryLogger(),
        async () => 'ok'
      )
    ).rejects.toThrow(
      `nothing answered on port ${rig.port} (127.0.0.1:${rig.port}, [::1]:${rig.port}) within start-timeout (1 s)`
    )
  })

  test('when both the work and the start fail, the work error wins and the start failure is logged', async () => {
    await startFakeServer()
    const logger = new MemoryLogger()
    const failure = new Error('archive write failed')
    await expect(
      withServerStopped(
        homeInfo(rig.sandbox.home, rig.port),
        control({ startCommand: 'exit 4' }),
        rig.opts,
        logger,
        async () => {
          throw failure
        }
      )
    ).rejects.toBe(failure)
    expect(logger.messages('error')).toEqual([
      'Starting XL Release again after the failed backup failed too: the start-command exited with code 4 ' +
        '(its output is in the log above). Start it by hand.'
    ])
  })

  test('no start-command: the server stays stopped, with a warning', async () => {
    await startFakeServer()
    const logger = new MemoryLogger()
    await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ startCommand: undefined }),
      rig.opts,
      logger,
      async () => 'ok'
    )
    expect(await portState()).toBe('closed')
    expect(logger.messages('warning')).toContain(
      "XL Release was stopped for the backup and no 'start-command' is set: it stays stopped. Start it yourself."
    )
  })

  test('a server that was started while the work ran fails the work, whoever had stopped it', async () => {
    const startedDuringWork = async (): Promise<Error> =>
      (await withServerStopped(
        homeInfo(rig.sandbox.home, rig.port),
        control({ startCommand: `touch ${q(rig.marker)}` }),
        rig.opts,
        new MemoryLogger(),
        async () => startFakeServer()
      ).catch((e: unknown) => e)) as Error
    // Found stopped; a "supervisor" (the work itself here) starts it during the work.
    let error = await startedDuringWork()
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain('XL Release was running again when the backup finished')
    expect(error.message).toContain(`port ${rig.port}`)

    // Stopped by us and restarted behind our back: same refusal, and the start-command is not run on top of it.
    error = await startedDuringWork()
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain('may not be consistent')
    expect(await exists(rig.marker)).toBe(false)
  })

  test('when the check after the work fails, the server is still started again', async () => {
    await startFakeServer()
    let broken = false
    const real = rig.opts.processLister!
    const lister = {
      list: async () => {
        if (broken) throw new Error('ps: cannot fork')
        return real.list()
      }
    }
    const logger = new MemoryLogger()
    await expect(
      withServerStopped(
        homeInfo(rig.sandbox.home, rig.port),
        control(),
        { ...rig.opts, processLister: lister },
        logger,
        async () => {
          broken = true
          return 'ok'
        }
      )
    ).rejects.toThrow('ps: cannot fork')
    expect(logger.messages('info')).toContain(
      'Starting XL Release again because checking the server after the backup failed.'
    )
    expect(await portState()).toBe('open')
  })

  test('bad timeouts are input errors, checked before anything runs', async () => {
    const work = trackedWork()
    for (const bad of [0, -1, Number.NaN]) {
      const error = await withServerStopped(
        homeInfo(rig.sandbox.home, rig.port),
        control({ stopTimeoutSeconds: bad }),
        rig.opts,
        new MemoryLogger(),
        work
      ).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).input).toBe('stop-timeout')
    }
    expect(work.calls).toBe(0)
  })

  test('a password in a stop-command never reaches the log', async () => {
    const logger = new MemoryLogger()
    await startFakeServer()
    await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      control({ stopCommand: `${stopCommand()} # curl -u admin:Sup3rSecret http://localhost/server/shutdown` }),
      rig.opts,
      logger,
      async () => 'ok'
    )
    const all = logger.lines.map(l => l.message).join('\n')
    expect(all).toContain('curl -u admin:***')
    expect(all).not.toContain('Sup3rSecret')
  })
})

/** A work function that counts its calls (the guard must not run it when the server is up). */
function trackedWork(): (() => Promise<string>) & { calls: number } {
  const work = Object.assign(
    async (): Promise<string> => {
      work.calls++
      return 'ran'
    },
    { calls: 0 }
  )
  return work
}

/** How many live `sleep` processes carry the tag in their arguments. */
async function sleepersTagged(tag: string): Promise<number> {
  let count = 0
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.startsWith('sleep\0') && cmdline.includes(tag) && (await isRunning(Number(entry)))) count++
  }
  return count
}
