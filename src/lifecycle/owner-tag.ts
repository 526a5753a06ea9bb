import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as os from 'node:os'

/**
 * Who made a temporary file or folder, written into its name so that a later run can tell a dead run's leftovers
 * from a live run's work without trusting any file inside: `<pid>.<start>.<host>` — the process id, the process's
 * start time in clock ticks since boot (Linux; 0 elsewhere, so a reused pid is then taken for alive), and the first
 * 8 hex digits of the SHA-256 of the host name (a folder shared by several hosts is judged only by the host that
 * wrote it).
 */
export interface Owner {
  pid: number
  startTime: number
  host: string
}

const TAG = /^(\d+)\.(\d+)\.([0-9a-f]{8})$/

export function hostTag(hostname: string = os.hostname()): string {
  return createHash('sha256').update(hostname).digest('hex').slice(0, 8)
}

/** This process's owner, as `ownerTag` writes it. */
export function currentOwner(): Owner {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? 0, host: hostTag() }
}

export function ownerTag(owner: Owner = currentOwner()): string {
  return `${owner.pid}.${owner.startTime}.${owner.host}`
}

export function parseOwnerTag(tag: string): Owner | null {
  const m = TAG.exec(tag)
  return m ? { pid: Number(m[1]), startTime: Number(m[2]), host: m[3] } : null
}

/**
 * True only when the owner provably no longer runs: it was on this host, and its pid is free or now belongs to a
 * process started at another time. Another host's owner is never judged dead (we cannot see its processes).
 */
export function ownerIsGone(owner: Owner, host: string = hostTag()): boolean {
  if (owner.host !== host) return false
  if (owner.pid === process.pid) return owner.startTime !== (processStartTime(process.pid) ?? 0)
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  if (owner.startTime === 0) return false
  const now = processStartTime(owner.pid)
  return now !== null && now !== owner.startTime
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const value = Number(fields[19])
    return Number.isSafeInteger(value) ? value : null
  } catch {
    return null
  }
}
