import * as net from 'node:net'
import type { Logger } from '../shared/logger.js'
import type { GuardFinding } from './types.js'

export type PortState = 'open' | 'closed' | 'unreachable' | 'timeout'

export interface PortProbeResult {
  address: string
  port: number
  state: PortState
  /** The socket error code for closed/unreachable (ECONNREFUSED, EADDRNOTAVAIL, …). */
  code?: string
}

/** Errors that mean "nobody listens here" or "this address is not on this machine": both say the port is clear. */
const CLEAR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EADDRNOTAVAIL',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAFNOSUPPORT',
  'ENOTFOUND',
  'EAI_AGAIN'
])

/**
 * Where to knock: always 127.0.0.1, plus the bind address when it is a specific one. A wildcard bind (0.0.0.0, ::)
 * listens on loopback, so 127.0.0.1 and ::1 cover it (a JVM often opens one dual-stack IPv6 socket for 0.0.0.0).
 */
export function addressesToProbe(bindAddress: string): string[] {
  const bind = bindAddress.trim().replace(/^\[(.*)\]$/, '$1')
  if (bind === '' || bind === '0.0.0.0' || bind === '::' || /^0(:0){7}$/.test(bind) || bind === '*') {
    return ['127.0.0.1', '::1']
  }
  return [...new Set(['127.0.0.1', bind])]
}

/** One TCP connect with a short timeout; the connection is closed at once, nothing is sent. */
export function probePort(address: string, port: number, timeoutMs: number): Promise<PortProbeResult> {
  return new Promise(resolve => {
    const socket = net.connect({ host: address, port })
    let settled = false
    const finish = (state: PortState, code?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ address, port, state, ...(code ? { code } : {}) })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    socket.once('connect', () => finish('open'))
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'UNKNOWN'
      finish(code === 'ECONNREFUSED' ? 'closed' : 'unreachable', code)
    })
  })
}

export async function probePorts(
  addresses: string[],
  port: number,
  portSource: string,
  timeoutMs: number,
  logger: Logger
): Promise<GuardFinding[]> {
  const results = await Promise.all(addresses.map(a => probePort(a, port, timeoutMs)))
  const findings: GuardFinding[] = []
  for (const r of results) {
    const where = formatHostPort(r.address, r.port)
    logger.debug(`Port probe ${where}: ${r.state}${r.code ? ` (${r.code})` : ''}`)
    if (r.state === 'open') {
      findings.push({
        probe: 'port',
        blocking: true,
        port: r.port,
        address: r.address,
        detail: `port ${r.port} (${portSource}) accepts connections at ${where}`
      })
    } else if (r.state === 'unreachable' && !CLEAR_CODES.has(r.code ?? '')) {
      findings.push({
        probe: 'port',
        blocking: false,
        port: r.port,
        address: r.address,
        detail: `port ${r.port} at ${where} could not be probed (${r.code}); treated as closed`
      })
    } else if (r.state === 'timeout') {
      // A local address that neither accepts nor refuses is odd (a firewall drop): say so, but it proves no server.
      findings.push({
        probe: 'port',
        blocking: false,
        port: r.port,
        address: r.address,
        detail: `port ${r.port} at ${where} neither accepted nor refused a connection within ${timeoutMs} ms; treated as closed`
      })
    }
  }
  return findings
}

export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
