import { execFile } from 'node:child_process'
import { toolEnv } from './child-env.js'

/** A user or group of this host as the system's name service (passwd, group: files, LDAP, …) knows it. */
export interface Account {
  name: string
  id: number
}

const LOOKUP_TIMEOUT_MS = 10_000

/**
 * Looks a user ('passwd') or group ('group') up by name or number through `getent`, which asks the name service
 * switch like `ls -l` and `chown` do (Node has no getpwnam). Null when the host has no such account; an error only
 * when the lookup itself cannot run. A number that is not an account is null too: the caller decides what it means.
 */
export async function lookupAccount(database: 'passwd' | 'group', key: string | number): Promise<Account | null> {
  const text = String(key)
  // getent takes a leading '-' as an option; names never start with one.
  if (text === '' || text.startsWith('-')) return null
  const output = await new Promise<string | null>((resolve, reject) => {
    execFile(
      'getent',
      [database, text],
      { env: toolEnv(), timeout: LOOKUP_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout) => {
        if (!error) resolve(stdout)
        // Exit 2: no such key. Anything else (getent missing, a broken name service) is the lookup failing.
        else if ((error as { code?: unknown }).code === 2) resolve(null)
        else reject(new Error(`getent ${database} ${text} failed: ${error.message}`, { cause: error }))
      }
    )
  })
  const fields = output?.split('\n')[0].split(':')
  if (!fields || fields.length < 3 || !/^\d+$/.test(fields[2])) return null
  return { name: fields[0], id: Number(fields[2]) }
}

/** The name of a user or group id, or null when the host has none (or cannot say). */
export async function accountName(database: 'passwd' | 'group', id: number): Promise<string | null> {
  try {
    return (await lookupAccount(database, id))?.name ?? null
  } catch {
    return null
  }
}
