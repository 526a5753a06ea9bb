import * as http from 'node:http'
import { ServerStartError, withServerStopped, type ServerControl } from '../../src/guard/index.js'
import { defaultHealthUrl, displayUrl } from '../../src/guard/health.js'
import { DEFAULT_SERVER_CONFIG } from '../../src/home/index.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import {
  fakeServerStartCommand,
  freePort,
  homeInfo,
  serverRigPerTest,
  shellQuote,
  spawnFakeServer,
  type FakeServer
} from '../support/guard-fixtures.js'

describe('the default health URL', () => {
  const url = (over: Partial<typeof DEFAULT_SERVER_CONFIG>, port = 5516): string =>
    defaultHealthUrl({ ...DEFAULT_SERVER_CONFIG, ...over }, port)

  test('is the server’s own: scheme from ssl, the port, the context root, then /ha/health', () => {
    expect(url({})).toBe('http://127.0.0.1:5516/ha/health')
    expect(url({ ssl: true, contextRoot: '/xl-release/' }, 5543)).toBe('https://127.0.0.1:5543/xl-release/ha/health')
    expect(url({ bindAddress: '10.1.2.3' })).toBe('http://10.1.2.3:5516/ha/health')
    expect(url({ bindAddress: '::1' })).toBe('http://[::1]:5516/ha/health')
    expect(url({ bindAddress: '::' })).toBe('http://127.0.0.1:5516/ha/health')
  })

  test('a context root from the file stays a path: it cannot add a query or change the host', () => {
    expect(url({ contextRoot: '/a b?x=1#y' })).toBe('http://127.0.0.1:5516/a%20b%3Fx=1%23y/ha/health')
    expect(new URL(url({ contextRoot: '@evil.example.com/' })).hostname).toBe('127.0.0.1')
  })

  test('credentials are masked wherever a URL is shown', () => {
    expect(displayUrl('https://admin:s3cret@xlr.example.com/ha/health')).toBe('https://***@xlr.example.com/ha/health')
    expect(displayUrl('http://xlr:5516/ha/health')).toBe('http://xlr:5516/ha/health')
  })
})

describe('starting the server: healthy, not only listening', () => {
  const { rig } = serverRigPerTest()
  const q = shellQuote
  const server = (standbyAnswers = 0): FakeServer => ({
    java: rig.sandbox.java,
    cwd: rig.sandbox.home,
    port: rig.port,
    pidFile: rig.pidFile,
    standbyAnswers
  })
  const control = (standbyAnswers: number, over: Partial<ServerControl> = {}): ServerControl => ({
    stopCommand: `kill "$(cat ${q(rig.pidFile)})"`,
    startCommand: fakeServerStartCommand(server(standbyAnswers)),
    stopTimeoutSeconds: 20,
    startTimeoutSeconds: 20,
    ...over
  })
  const restartOnce = async (
    ctl: ServerControl,
    logger = new MemoryLogger()
  ): Promise<{ startup: number | null; logger: MemoryLogger }> => {
    await spawnFakeServer(server())
    let startup: number | null = null
    await withServerStopped(
      homeInfo(rig.sandbox.home, rig.port),
      ctl,
      { ...rig.opts, onHealthy: s => (startup = s) },
      logger,
      async () => 'ok'
    )
    return { startup, logger }
  }

  test('answers 503 three times, then 200: the wait goes on through the 503s and reports the startup time', async () => {
    const { startup, logger } = await restartOnce(control(3))
    const info = logger.messages('info').join('\n')
    expect(info).toContain(
      `Waiting for http://127.0.0.1:${rig.port}/ha/health to answer HTTP 200; it answers: HTTP 503.`
    )
    expect(info).toContain(`XL Release is healthy: http://127.0.0.1:${rig.port}/ha/health answers HTTP 200.`)
    // Three 503s at the rig's 100 ms poll: the startup includes them.
    expect(startup).not.toBeNull()
    expect(startup!).toBeGreaterThanOrEqual(0.3)
  })

  test('a health URL that never says 200: the start fails at start-timeout naming the URL and the last answer, without its password', async () => {
    const url = `http://admin:pa55word@127.0.0.1:${rig.port}/ha/health`
    const logger = new MemoryLogger()
    const error = (await restartOnce(control(100_000, { startTimeoutSeconds: 2, healthUrl: url }), logger).catch(
      (e: unknown) => e
    )) as ServerStartError
    expect(error).toBeInstanceOf(ServerStartError)
    expect(error.workSucceeded).toBe(true)
    expect(error.message).toContain(
      `http://***@127.0.0.1:${rig.port}/ha/health did not answer HTTP 200 within start-timeout (2 s) after the ` +
        'start-command; its last answer was HTTP 503.'
    )
    const everything = [error.message, ...logger.messages()].join('\n')
    expect(everything).not.toContain('pa55word')
  })

  test('a health URL where nothing listens: the last answer is the connection error', async () => {
    const closed = await freePort()
    const error = (await restartOnce(
      control(0, { startTimeoutSeconds: 1, healthUrl: `http://127.0.0.1:${closed}/ha/health` })
    ).catch((e: unknown) => e)) as Error
    expect(error.message).toContain(`its last answer was ECONNREFUSED`)
  })

  test("'health-url: none' waits for the port alone", async () => {
    const { startup } = await restartOnce(control(100_000, { healthUrl: 'none' }))
    expect(startup).not.toBeNull()
  })

  test('a user-given URL is asked with the credentials it carries', async () => {
    const port = await freePort()
    let authorization: string | undefined
    const server = http.createServer((req, res) => {
      authorization = req.headers.authorization
      res.writeHead(200).end()
    })
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
    try {
      const { startup } = await restartOnce(control(0, { healthUrl: `http://u:p@127.0.0.1:${port}/custom` }))
      expect(startup).not.toBeNull()
      expect(authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`)
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })
})
