import { access } from 'node:fs/promises'
import { withServerStopped, type ServerControl } from '../../src/guard/index.js'
import { probePort } from '../../src/guard/port-probe.js'
import { cancellation, CancelledError } from '../../src/lifecycle/cancel.js'
import { runState, type StoppedServer } from '../../src/lifecycle/run-state.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import {
  fakeServerStartCommand,
  homeInfo,
  serverRigPerTest,
  shellQuote,
  spawnFakeServer
} from '../support/guard-fixtures.js'

let events: string[]
const { rig } = serverRigPerTest()

beforeEach(async () => {
  cancellation.reset()
  runState.reset()
  events = []
  runState.subscribe({
    serverStopped: (s: StoppedServer) => events.push(`stopped ${s.port}`),
    serverStarted: () => events.push('started')
  })
  await spawnFakeServer({ java: rig.sandbox.java, cwd: rig.sandbox.home, port: rig.port, pidFile: rig.pidFile })
})
afterEach(async () => {
  cancellation.reset()
  runState.reset()
})

const q = shellQuote
const control = (over: Partial<ServerControl> = {}): ServerControl => ({
  stopCommand: `kill "$(cat ${q(rig.pidFile)})"`,
  startCommand:
    `touch ${q(rig.marker)}; ` +
    fakeServerStartCommand({ java: rig.sandbox.java, cwd: rig.sandbox.home, port: rig.port, pidFile: rig.pidFile }),
  stopTimeoutSeconds: 20,
  startTimeoutSeconds: 20,
  ...over
})
const portOpen = async (): Promise<boolean> => (await probePort('127.0.0.1', rig.port, 500)).state === 'open'
const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false
  )

/** withServerStopped on the rig with `control(over)` around `work`, which must fail: the error it fails with. */
async function failedWhileStopped(
  work: () => Promise<unknown>,
  over: Partial<ServerControl> = {},
  logger = new MemoryLogger()
): Promise<Error> {
  const home = homeInfo(rig.sandbox.home, rig.port)
  return (await withServerStopped(home, control(over), rig.opts, logger, work).catch((e: unknown) => e)) as Error
}

describe('withServerStopped and a cancel', () => {
  test('a cancel during the work starts the server again and says so; the record for the post step is cleared', async () => {
    const error = await failedWhileStopped(() => {
      expect(runState.pendingRestart()).not.toBeNull()
      cancellation.cancel('SIGTERM')
      return cancellation.race(new Promise<never>(() => undefined))
    })
    expect(error).toBeInstanceOf(CancelledError)
    expect(error.message).toBe('cancelled (SIGTERM): the server was started again')
    expect(await portOpen()).toBe(true)
    expect(events).toEqual([`stopped ${rig.port}`, 'started'])
    expect(runState.pendingRestart()).toBeNull()
  })

  test('without a start-command the cancel says the server stays stopped', async () => {
    const error = await failedWhileStopped(
      async () => {
        cancellation.cancel('SIGINT')
        cancellation.throwIfCancelled()
      },
      { startCommand: undefined }
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(error.message).toBe(
      "cancelled (SIGINT): the server was stopped for the backup and no 'start-command' is set: start it yourself"
    )
    expect(await portOpen()).toBe(false)
    // Nothing to record for a post step that could not start it either.
    expect(events).toEqual([])
  })

  test('a restore error caused by the cancel keeps its own message and adds what became of the server', async () => {
    const error = await failedWhileStopped(() => {
      cancellation.cancel('SIGTERM')
      try {
        cancellation.throwIfCancelled()
      } catch (cause) {
        throw new Error(
          'Restore of b into h failed while extracting conf: cancelled (SIGTERM). Every change was undone.',
          {
            cause
          }
        )
      }
      return Promise.resolve()
    })
    expect(error).toBeInstanceOf(CancelledError)
    expect(error.message).toBe(
      'Restore of b into h failed while extracting conf: cancelled (SIGTERM). Every change was undone.\n' +
        'cancelled (SIGTERM): the server was started again.'
    )
  })

  test('cancelled before the guard: the server is not stopped at all', async () => {
    cancellation.cancel('SIGTERM')
    const logger = new MemoryLogger()
    const error = await failedWhileStopped(async () => 'x', {}, logger)
    expect(error).toBeInstanceOf(CancelledError)
    expect(logger.messages('info').join('\n')).not.toContain('Running the stop-command')
    expect(await portOpen()).toBe(true)
    expect(await exists(rig.marker)).toBe(false)
    expect(events).toEqual([])
  })
})
