import * as http from 'node:http'
import * as https from 'node:https'
import type { ServerConfig } from '../home/types.js'

/**
 * The vendor's health endpoint: 200 on an active node, 503 on a standby (see docs/xlr-reference: "Health"). The
 * Helm chart's probes put it under the context root, as here.
 */
export const HEALTH_PATH = 'ha/health'

/** Where and how the health of a started server is asked. */
export interface HealthTarget {
  url: string
  /**
   * Whether an https answer must come with a certificate this host trusts. The URL derived from the home's own
   * config names a loopback or bind address, which a server certificate rarely names: that one is asked without
   * the check (the request carries nothing secret and only its status is read). A URL the user gives is checked.
   */
  verifyTls: boolean
}

/** One answer to a health request: the HTTP status, or why there was none. */
export type HealthAnswer = { status: number } | { error: string }

/**
 * The server's own health URL from conf/xl-release-server.conf: http or https (ssl), the port, the context root,
 * then the health path; asked at the bind address when it is a specific one, else at 127.0.0.1.
 */
export function defaultHealthUrl(server: ServerConfig, port: number): string {
  const bind = server.bindAddress.trim().replace(/^\[(.*)\]$/, '$1')
  const wildcard = bind === '' || bind === '*' || bind === '0.0.0.0' || bind === '::' || /^0(:0){7}$/.test(bind)
  const host = wildcard ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind
  const url = new URL(`${server.ssl ? 'https' : 'http'}://${host}:${port}`)
  const root = server.contextRoot.trim().replace(/^\/+|\/+$/g, '')
  // Assigned as a path, so a context root from the file cannot change the host or add a query.
  url.pathname = root === '' ? `/${HEALTH_PATH}` : `/${root}/${HEALTH_PATH}`
  return url.toString()
}

/** The URL for logs and errors: a user name or password in it is replaced by '***'. */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text)
    if (url.username || url.password) {
      url.username = '***'
      url.password = ''
    }
    return url.toString()
  } catch {
    return '(not a URL)'
  }
}

export function describeAnswer(answer: HealthAnswer): string {
  return 'status' in answer ? `HTTP ${answer.status}` : answer.error
}

/** One GET with a timeout; the body is read and dropped. Never throws. */
export function askHealth(target: HealthTarget, timeoutMs: number): Promise<HealthAnswer> {
  return new Promise(resolve => {
    let settled = false
    const finish = (answer: HealthAnswer): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      resolve(answer)
    }
    const url = new URL(target.url)
    const get = url.protocol === 'https:' ? https.get : http.get
    const request = get(url, { rejectUnauthorized: target.verifyTls, headers: { accept: '*/*' } }, response => {
      response.resume()
      finish({ status: response.statusCode ?? 0 })
    })
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs} ms` }), timeoutMs)
    request.once('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }))
  })
}
