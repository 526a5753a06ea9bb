import { ConfigParseError } from '../shared/errors.js'
import type { PropertyEntry } from './properties.js'
import type { ServerConfig } from './types.js'

export const DEFAULT_SERVER_CONFIG: Readonly<ServerConfig> = Object.freeze({
  httpPort: 5516,
  bindAddress: '0.0.0.0',
  contextRoot: '/',
  ssl: false,
  serverUrl: null
})

/** Keys whose values are secrets: masked in logs, never copied into the manifest. */
export const SECRET_PROPERTY = /password|passphrase|secret|token/i

/**
 * The server settings of conf/xl-release-server.conf, defaults filling what is missing or empty. A port that is not
 * a whole number from 1 to 65535 is an error: the stopped-guard would otherwise probe the wrong port.
 */
export function serverConfigFromProperties(entries: Map<string, PropertyEntry>, file: string): ServerConfig {
  const text = (key: string): string | undefined => {
    const value = entries.get(key)?.value.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG }
  const port = text('http.port')
  if (port !== undefined) {
    const n = Number(port)
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) {
      throw new ConfigParseError(
        file,
        entries.get('http.port')!.line,
        `http.port must be a whole number from 1 to 65535, but it is '${port}'; fix it or remove the line to use 5516`
      )
    }
    config.httpPort = n
  }
  config.bindAddress = text('http.bind.address') ?? config.bindAddress
  config.contextRoot = text('http.context.root') ?? config.contextRoot
  // As Java's Boolean.parseBoolean, which the server uses: only 'true' (any case) turns it on.
  config.ssl = text('ssl')?.toLowerCase() === 'true'
  config.serverUrl = text('server.url') ?? null
  return config
}
