import { assertServerStopped, checkServer } from '../../src/guard/index.js'
import { addressesToProbe, probePort } from '../../src/guard/port-probe.js'
import { InputError, ServerRunningError, XlrBackupError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { freePort, homeInfo, sandboxPerTest, scopedLister } from '../support/guard-fixtures.js'

const { cleanup, sandbox } = sandboxPerTest()

describe('port probe on real sockets', () => {
  test('a listener on http.port is refused with the port and address named', async () => {
    const port = await freePort()
    await cleanup.listen(port)
    const home = homeInfo(sandbox.home, port)
    const error = (await assertServerStopped(
      home,
      { processLister: scopedLister(sandbox.root) },
      new MemoryLogger()
    ).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain(`port ${port} (http.port) accepts connections at 127.0.0.1:${port}`)
    expect(error.message).toContain(`the backup of ${sandbox.home} was not started`)
    expect(error.message).toContain("'stop-command' and 'start-command'")
    expect(error.message).toContain("set the input 'port'")
  })

  test('nothing listening: the port probe is clear', async () => {
    const port = await freePort()
    const logger = new MemoryLogger()
    const report = await assertServerStopped(
      homeInfo(sandbox.home, port),
      { processLister: scopedLister(sandbox.root) },
      logger
    )
    expect(report).toEqual({ running: false, findings: [] })
    expect(logger.messages('debug')).toContain(`Port probe 127.0.0.1:${port}: closed (ECONNREFUSED)`)
    expect(logger.messages('info').join('\n')).toContain('XL Release is not running')
  })

  test('the port input overrides http.port, both ways', async () => {
    const busy = await freePort()
    await cleanup.listen(busy)
    const idle = await freePort()
    const lister = scopedLister(sandbox.root)
    await expect(
      assertServerStopped(homeInfo(sandbox.home, idle), { port: busy, processLister: lister }, new MemoryLogger())
    ).rejects.toThrow(`port ${busy} (the port input) accepts connections`)
    const report = await checkServer(
      homeInfo(sandbox.home, busy),
      { port: idle, processLister: lister },
      new MemoryLogger()
    )
    expect(report.running).toBe(false)
  })

  test('a specific bind address is probed too', async () => {
    const port = await freePort()
    await cleanup.listen(port, '127.0.0.2')
    const lister = scopedLister(sandbox.root)
    // Bound to the wildcard, the server would answer on loopback: only 127.0.0.1 and ::1 are knocked on.
    expect(
      (await checkServer(homeInfo(sandbox.home, port, '0.0.0.0'), { processLister: lister }, new MemoryLogger()))
        .running
    ).toBe(false)
    const report = await checkServer(
      homeInfo(sandbox.home, port, '127.0.0.2'),
      { processLister: lister },
      new MemoryLogger()
    )
    expect(report.findings).toEqual([
      expect.objectContaining({ probe: 'port', blocking: true, port, address: '127.0.0.2' })
    ])
  })

  test('a wildcard bind address covers an IPv6-only listener on ::1', async () => {
    const port = await freePort()
    await cleanup.listen(port, '::1')
    const report = await checkServer(
      homeInfo(sandbox.home, port, '::'),
      { processLister: scopedLister(sandbox.root) },
      new MemoryLogger()
    )
    expect(report.running).toBe(true)
    expect(report.findings[0].detail).toContain(`accepts connections at [::1]:${port}`)
  })

  test('an address that is not on this machine counts as clear', async () => {
    const port = await freePort()
    // TEST-NET-1 (RFC 5737) is never assigned: the connect fails or times out, it never succeeds.
    const result = await probePort('192.0.2.1', port, 300)
    expect(result.state).not.toBe('open')
  })

  test('a bad port is an input error, a bad http.port names the config file', async () => {
    const lister = scopedLister(sandbox.root)
    await expect(
      checkServer(homeInfo(sandbox.home, 5516), { port: 70000, processLister: lister }, new MemoryLogger())
    ).rejects.toThrow(InputError)
    const error = await checkServer(homeInfo(sandbox.home, 0), { processLister: lister }, new MemoryLogger()).catch(
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(XlrBackupError)
    expect((error as Error).message).toContain('conf/xl-release-server.conf')
  })
})

describe('addressesToProbe', () => {
  test.each([
    ['0.0.0.0', ['127.0.0.1', '::1']],
    ['', ['127.0.0.1', '::1']],
    ['::', ['127.0.0.1', '::1']],
    ['[::]', ['127.0.0.1', '::1']],
    ['0:0:0:0:0:0:0:0', ['127.0.0.1', '::1']],
    ['127.0.0.1', ['127.0.0.1']],
    [' 10.1.2.3 ', ['127.0.0.1', '10.1.2.3']],
    ['[fe80::1]', ['127.0.0.1', 'fe80::1']],
    ['xlr.example.com', ['127.0.0.1', 'xlr.example.com']]
  ])('%j → %j', (bind, expected) => {
    expect(addressesToProbe(bind)).toEqual(expected)
  })
})
