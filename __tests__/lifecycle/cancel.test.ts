import { Cancellation, CancelledError } from '../../src/lifecycle/cancel.js'
import { decodeStoppedServer, encodeStoppedServer } from '../../src/lifecycle/post-state.js'

describe('Cancellation', () => {
  it('lets work finish when nothing cancels it', async () => {
    const c = new Cancellation()
    await expect(c.race(Promise.resolve(42))).resolves.toBe(42)
    expect(() => c.throwIfCancelled()).not.toThrow()
  })

  it('abandons running work at once when cancelled, naming the signal', async () => {
    const c = new Cancellation()
    let finish: (v: number) => void = () => undefined
    const work = new Promise<number>(resolve => (finish = resolve))
    const raced = c.race(work)
    c.cancel('SIGTERM')
    await expect(raced).rejects.toThrow(new CancelledError('cancelled (SIGTERM)'))
    finish(1)
    expect(c.reason).toBe('SIGTERM')
  })

  it('keeps the first reason and refuses new work after a cancel', async () => {
    const c = new Cancellation()
    c.cancel('SIGINT')
    c.cancel('SIGTERM')
    expect(() => c.throwIfCancelled()).toThrow('cancelled (SIGINT)')
    await expect(c.race(Promise.resolve(1))).rejects.toBeInstanceOf(CancelledError)
  })

  it('does not turn a late failure of abandoned work into an unhandled rejection', async () => {
    const c = new Cancellation()
    let fail: (e: Error) => void = () => undefined
    const raced = c.race(new Promise<never>((_, reject) => (fail = reject)))
    c.cancel('SIGTERM')
    await expect(raced).rejects.toBeInstanceOf(CancelledError)
    fail(new Error('late'))
    await new Promise(resolve => setImmediate(resolve))
  })
})

describe('the post step record', () => {
  it('round-trips a stopped server and refuses anything else', () => {
    const server = {
      home: '/opt/xlr',
      port: 5516,
      addresses: ['127.0.0.1', '::1'],
      health: { url: 'https://127.0.0.1:5516/ha/health', verifyTls: false }
    }
    expect(decodeStoppedServer(encodeStoppedServer(server))).toEqual(server)
    // An older record, or a health target that is not http(s): the post step waits for the port alone.
    const { health: _health, ...older } = server
    expect(decodeStoppedServer(JSON.stringify(older))).toEqual({ ...older, health: null })
    expect(
      decodeStoppedServer(JSON.stringify({ ...server, health: { url: 'file:///etc/passwd', verifyTls: false } }))
    ).toEqual({ ...older, health: null })
    expect(decodeStoppedServer('')).toBeNull()
    expect(decodeStoppedServer('not json')).toBeNull()
    expect(decodeStoppedServer(JSON.stringify({ ...server, port: 70000 }))).toBeNull()
    expect(decodeStoppedServer(JSON.stringify({ ...server, addresses: [1] }))).toBeNull()
    expect(decodeStoppedServer(JSON.stringify({ port: 5516, addresses: [] }))).toBeNull()
  })
})
