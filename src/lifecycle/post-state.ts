import type { StoppedServer } from './run-state.js'

/**
 * The action's record, through core.saveState, of a server the main step stopped and has not started yet. The post
 * step (`post-if: always()`) reads it: set means main ended (killed, or its start failed) with the server down.
 */
export const SERVER_STOPPED_STATE = 'server-stopped'

export function encodeStoppedServer(server: StoppedServer): string {
  return JSON.stringify(server)
}

/** The recorded server, or null when nothing is pending (empty) or the record is not one we wrote. */
export function decodeStoppedServer(text: string): StoppedServer | null {
  if (!text) return null
  try {
    const v = JSON.parse(text) as Partial<StoppedServer>
    const portOk = typeof v.port === 'number' && Number.isInteger(v.port) && v.port >= 1 && v.port <= 65535
    const addressesOk = Array.isArray(v.addresses) && v.addresses.every(a => typeof a === 'string')
    if (typeof v.home !== 'string' || !portOk || !addressesOk) return null
    return { home: v.home, port: v.port!, addresses: v.addresses!, health: healthOf(v.health) }
  } catch {
    return null
  }
}

/** A recorded health target; anything else (an older record, a foreign one) means the port alone. */
function healthOf(value: unknown): StoppedServer['health'] {
  const h = value as { url?: unknown; verifyTls?: unknown } | null | undefined
  if (typeof h?.url !== 'string' || typeof h.verifyTls !== 'boolean' || !/^https?:\/\//i.test(h.url)) return null
  return { url: h.url, verifyTls: h.verifyTls }
}
