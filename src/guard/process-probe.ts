import * as path from 'node:path'
import type { Logger } from '../shared/logger.js'
import { displayCommandLine } from './redact.js'
import { isJavaLike } from './process-list.js'
import type { GuardFinding, ProcessInfo, ProcessLister } from './types.js'

export const BOOTSTRAPPER_CLASS = 'com.xebialabs.xlrelease.XLReleaseBootstrapper'

/**
 * Why `p` may be an XL Release server using `homePath`, or null. A process running the bootstrapper class counts
 * unless it provably serves another home: the server runs with its home as working folder, so one whose folder we can
 * read, on our own filesystem (not in a container), outside this home and not naming it, is another server. Where
 * the folder cannot be read or compared (another user, a container, Windows) it counts. Other processes count only
 * when they are a JVM (or the service wrapper): a shell or editor open in the home is not the server.
 */
export function serverProcessReason(
  p: ProcessInfo,
  homePath: string,
  platform: NodeJS.Platform = process.platform
): string | null {
  if (p.commandLine.includes(BOOTSTRAPPER_CLASS)) {
    return servesAnotherHome(p, homePath, platform) ? null : `runs ${BOOTSTRAPPER_CLASS}`
  }
  if (!isJavaLike(p)) return null
  if (p.cwd !== null && isSameOrInside(p.cwd, homePath, platform)) return `is a Java process working in ${p.cwd}`
  if (namesPath(p.commandLine, homePath, platform)) return 'is a Java process whose command line names the home'
  return null
}

/** A bootstrapper whose working folder is known, comparable with ours, and not this home nor named with it. */
export function servesAnotherHome(p: ProcessInfo, homePath: string, platform: NodeJS.Platform): boolean {
  if (p.cwd === null || p.sameMountNamespace !== true) return false
  return !isSameOrInside(p.cwd, homePath, platform) && !namesPath(p.commandLine, homePath, platform)
}

function isSameOrInside(candidate: string, home: string, platform: NodeJS.Platform): boolean {
  const fold = (s: string): string => (platform === 'win32' ? s.toLowerCase().replace(/\//g, '\\') : s)
  const c = fold(candidate).replace(/[\\/]+$/, '')
  const h = fold(home).replace(/[\\/]+$/, '')
  const sep = platform === 'win32' ? '\\' : path.sep
  return c === h || c.startsWith(h + sep)
}

/**
 * Whether the command line mentions the home as a whole path (`-Dxlr.home=/opt/xlr`, `/opt/xlr/lib/*`), not as the
 * start of a longer name (`/opt/xlr-old`) or the tail of another path (`/backup/opt/xlr`).
 */
export function namesPath(commandLine: string, home: string, platform: NodeJS.Platform = process.platform): boolean {
  const win = platform === 'win32'
  const hay = win ? commandLine.toLowerCase().replace(/\//g, '\\') : commandLine
  const needle = (win ? home.toLowerCase().replace(/\//g, '\\') : home).replace(/[\\/]+$/, '')
  if (needle === '') return false
  const before = /[\s="':;,]/
  const after = /[\s\\/"':;,]/
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) {
    const prev = i === 0 ? ' ' : hay[i - 1]
    const next = i + needle.length >= hay.length ? ' ' : hay[i + needle.length]
    if (before.test(prev) && after.test(next)) return true
  }
  return false
}

/** PIDs of `self` and every ancestor in the listing: the action, its shell, the runner must never count. */
export function selfAndAncestors(
  processes: ProcessInfo[],
  self: number = process.pid,
  parent = process.ppid
): Set<number> {
  const ppidOf = new Map(processes.map(p => [p.pid, p.ppid]))
  const out = new Set<number>([self])
  let next: number | null | undefined = ppidOf.get(self) ?? parent
  while (next !== null && next !== undefined && next > 0 && !out.has(next)) {
    out.add(next)
    next = ppidOf.get(next)
  }
  return out
}

export async function probeProcesses(
  homePath: string,
  lister: ProcessLister,
  logger: Logger,
  platform: NodeJS.Platform = process.platform
): Promise<GuardFinding[]> {
  const processes = await lister.list()
  const skip = selfAndAncestors(processes)
  const findings: GuardFinding[] = []
  for (const p of processes) {
    if (skip.has(p.pid)) continue
    const reason = serverProcessReason(p, homePath, platform)
    if (reason === null) {
      if (p.commandLine.includes(BOOTSTRAPPER_CLASS)) {
        findings.push({
          probe: 'process',
          blocking: false,
          pid: p.pid,
          detail: `process ${p.pid} runs XL Release in ${p.cwd}, another home: it does not hold this one`
        })
      }
      continue
    }
    findings.push({
      probe: 'process',
      blocking: true,
      pid: p.pid,
      detail: `process ${p.pid} ${reason}: ${displayCommandLine(p.commandLine)}`
    })
  }
  const unreadable = (lister as { unreadable?: unknown }).unreadable
  logger.debug(
    `Process probe: ${processes.length} processes listed` +
      (typeof unreadable === 'number' && unreadable > 0 ? `, ${unreadable} entries not readable (skipped)` : '') +
      `, ${findings.length} look like XL Release.`
  )
  return findings
}
