/**
 * Which backups a rotation keeps, with restic `forget` semantics: backups are taken newest first; each rule keeps
 * the newest backup of each of its periods (a day, an ISO week, a month, a year, in UTC) until it has kept its
 * count, counting only periods that hold a backup, back from the newest backup (not from today). `keep-last` keeps
 * the newest N whatever their periods. A period rule that has periods left when the backups run out also keeps the
 * oldest backup, so the history kept is as long as it can be. A backup may be kept by several rules; every kept one
 * records them all. A backup whose time is not believed (unreadable, in the future, after the store received it:
 * see backup-time.ts) takes no part: it is kept and named, and it neither anchors the periods nor fills one.
 * Pure: the clock comes in as an argument; no storage.
 */

import { judgeBackupTime, type TimeClaim } from './backup-time.js'

export interface KeepRules {
  keepLast: number
  keepDaily: number
  keepWeekly: number
  keepMonthly: number
  keepYearly: number
}

export type RuleName = 'last' | 'daily' | 'weekly' | 'monthly' | 'yearly'

/**
 * Why a backup is kept: the rules that kept it; `oldest <rule>` when a period rule still had periods to fill and took
 * the oldest backup as well (restic 0.17 and later do the same); or one of two protections no rule overrides.
 */
export type KeepReason =
  | RuleName
  | `oldest ${Exclude<RuleName, 'last'>}`
  | 'just made'
  | 'time unreadable'
  | 'dated in the future'
  | 'dated after it was stored'
  | 'not signed by a trusted signer'

export interface Kept<T> {
  backup: T
  reasons: KeepReason[]
}

export interface RotationPlan<T> {
  /** Newest first; backups whose time is not believed come last. */
  keep: Kept<T>[]
  /** Newest first. */
  remove: T[]
}

/** A backup's name and its time claim; a claim not believed keeps the backup out of the rules. */
export interface Dated extends TimeClaim {
  name: string
}

export class AllRulesZeroError extends Error {}

/** The period a rule counts a time in: two backups in one period compete, the newer wins. */
const PERIOD: Record<RuleName, ((t: Date) => string) | null> = {
  last: null,
  daily: t => t.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: t => t.toISOString().slice(0, 7),
  yearly: t => t.toISOString().slice(0, 4)
}

const DISTRUST_REASON = {
  unreadable: 'time unreadable',
  'in the future': 'dated in the future',
  'after it was stored': 'dated after it was stored'
} as const satisfies Record<string, KeepReason>

const ORDER: [RuleName, keyof KeepRules][] = [
  ['last', 'keepLast'],
  ['daily', 'keepDaily'],
  ['weekly', 'keepWeekly'],
  ['monthly', 'keepMonthly'],
  ['yearly', 'keepYearly']
]

/** True when no rule would keep anything: such a plan would delete every backup, so it is refused. */
export function keepsNothing(rules: KeepRules): boolean {
  return ORDER.every(([, field]) => rules[field] <= 0)
}

/**
 * Splits `backups` into those kept (with their reasons) and those to delete, judging their times against `now`.
 * `justMade` names a backup that is kept whatever the rules say; `untrusted` names backups kept out of the rules
 * like those whose time is not believed (with 'trusted-signers': not signed by a trusted key). Ties in time are
 * broken by name (the greater name counts as newer), so a plan never depends on the order a store lists in.
 */
export function planRotation<T extends Dated>(
  backups: readonly T[],
  rules: KeepRules,
  justMade: string | null,
  now: number,
  untrusted: ReadonlySet<string> = new Set()
): RotationPlan<T> {
  if (keepsNothing(rules)) throw new AllRulesZeroError('every keep-* rule is 0: the rotation would delete every backup')
  const distrusted: Kept<T>[] = []
  const dated: { backup: T; time: Date }[] = []
  for (const backup of backups) {
    const verdict = judgeBackupTime(backup, now)
    if (verdict.kind === 'believed' && !untrusted.has(backup.name)) dated.push({ backup, time: new Date(verdict.time) })
    else {
      const reasons: KeepReason[] = [
        verdict.kind === 'believed' ? 'not signed by a trusted signer' : DISTRUST_REASON[verdict.kind]
      ]
      if (backup.name === justMade) reasons.push('just made')
      distrusted.push({ backup, reasons })
    }
  }
  dated.sort(
    (a, b) =>
      b.time.getTime() - a.time.getTime() ||
      (a.backup.name < b.backup.name ? 1 : a.backup.name > b.backup.name ? -1 : 0)
  )
  const left = new Map(ORDER.map(([rule, field]) => [rule, Math.max(0, rules[field])]))
  const lastPeriod = new Map<RuleName, string>()
  const keep: Kept<T>[] = []
  const remove: T[] = []
  for (const [index, { backup, time }] of dated.entries()) {
    const reasons: KeepReason[] = []
    for (const [rule] of ORDER) {
      const count = left.get(rule) ?? 0
      if (count === 0) continue
      const period = PERIOD[rule]?.(time) ?? String(index)
      const samePeriod = lastPeriod.get(rule) === period
      if (samePeriod && index < dated.length - 1) continue
      lastPeriod.set(rule, period)
      left.set(rule, count - 1)
      reasons.push(samePeriod && rule !== 'last' ? `oldest ${rule}` : rule)
    }
    if (backup.name === justMade) reasons.push('just made')
    if (reasons.length > 0) keep.push({ backup, reasons })
    else remove.push(backup)
  }
  keep.push(...distrusted)
  return { keep, remove }
}

/** ISO 8601 week of a UTC time, 'YYYY-Www' with the week-numbering year (2021-01-03 is in 2020-W53). */
export function isoWeek(t: Date): string {
  const day = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()))
  const weekday = day.getUTCDay() || 7
  // The Thursday of this week decides the year the week belongs to.
  day.setUTCDate(day.getUTCDate() + 4 - weekday)
  const year = day.getUTCFullYear()
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86400_000 + 1) / 7)
  return `${year}-W${String(week).padStart(2, '0')}`
}
