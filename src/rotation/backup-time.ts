/**
 * Whether a backup's time can be believed. The time a backup claims (its metadata, its file's mtime) is written by
 * whoever wrote the backup: someone who can only add files to a store could date a forged backup years ahead and
 * make it the "newest" forever, so that rotation counts its periods back from it and deletes the real backups, and
 * the 'max-age' alarm never rings. A claimed time is believed only when it is not after the judging clock, nor after
 * the moment the store itself recorded receiving the backup (a time the writer cannot choose), each with a margin
 * for clocks that drift apart.
 * Pure: the clock comes in as an argument.
 */

/** How far a claimed time may run ahead of the clock that judges it: runner and store clocks are not in step. */
export const CLOCK_SKEW_MS = 10 * 60_000

export interface TimeClaim {
  /** The backup's own time, as it claims it; null or unparseable = unreadable. */
  createdAt: string | null
  /**
   * When the store recorded receiving the backup (S3 and Azure Last-Modified, a file's ctime); absent or null where
   * the store keeps no such time, or where `createdAt` already is the store's own (artifacts, cache entries).
   */
  storedAt?: string | null
}

export type TimeVerdict =
  | { kind: 'believed'; time: number }
  | { kind: 'unreadable' }
  /** Claims a time after the judging clock's now: no honest writer can. */
  | { kind: 'in the future'; claimed: number }
  /** Claims a time after the store received it: the backup cannot have been made after it was stored. */
  | { kind: 'after it was stored'; claimed: number; storedAt: number }

export function judgeBackupTime(claim: TimeClaim, now: number): TimeVerdict {
  const claimed = claim.createdAt === null ? NaN : Date.parse(claim.createdAt)
  if (Number.isNaN(claimed)) return { kind: 'unreadable' }
  if (claimed > now + CLOCK_SKEW_MS) return { kind: 'in the future', claimed }
  const storedAt = claim.storedAt ? Date.parse(claim.storedAt) : NaN
  if (!Number.isNaN(storedAt) && claimed > storedAt + CLOCK_SKEW_MS) {
    return { kind: 'after it was stored', claimed, storedAt }
  }
  return { kind: 'believed', time: claimed }
}

/**
 * The time to rank a backup by when picking the newest: its own time where believed, else the store's record of
 * receiving it (which no writer chooses), else null. A forged date then weighs no more than its upload.
 */
export function rankingTime(claim: TimeClaim, now: number): number | null {
  const verdict = judgeBackupTime(claim, now)
  if (verdict.kind === 'believed') return verdict.time
  const storedAt = claim.storedAt ? Date.parse(claim.storedAt) : NaN
  return Number.isNaN(storedAt) ? null : storedAt
}

/** The verdict in words, for a log line or a summary row: "claims 2031-01-01T00:00:00.000Z, after it was stored (…)". */
export function describeDistrust(verdict: Exclude<TimeVerdict, { kind: 'believed' }>): string {
  switch (verdict.kind) {
    case 'unreadable':
      return 'its time cannot be read'
    case 'in the future':
      return `it claims ${new Date(verdict.claimed).toISOString()}, a time in the future`
    case 'after it was stored':
      return (
        `it claims ${new Date(verdict.claimed).toISOString()}, after the store received it ` +
        `(${new Date(verdict.storedAt).toISOString()})`
      )
  }
}
