/**
 * The rotation policy over calendars of fake backup times, against restic's documented `forget` behaviour: per
 * period the newest backup, periods counted back from the newest backup (only periods that hold one), UTC.
 */
import { AllRulesZeroError, isoWeek, planRotation, type KeepRules } from '../../src/rotation/policy.js'

/** The judging clock of every plan here: after every calendar's backups. */
const NOW = Date.parse('2026-11-30T12:00:00Z')
const none: KeepRules = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 }
const rules = (over: Partial<KeepRules>): KeepRules => ({ ...none, ...over })
const at = (iso: string): { name: string; createdAt: string } => ({ name: `b-${iso}`, createdAt: iso })

function plan(times: string[], over: Partial<KeepRules>, justMade: string | null = null) {
  const result = planRotation(times.map(at), rules(over), justMade, NOW)
  return {
    keep: result.keep.map(k => `${k.backup.createdAt} ${k.reasons.join('+')}`),
    remove: result.remove.map(b => b.createdAt)
  }
}

/** One backup a day at 02:00 UTC from `from` to `to` (inclusive). */
function daily(from: string, to: string): string[] {
  const out: string[] = []
  for (let t = Date.parse(`${from}T02:00:00Z`); t <= Date.parse(`${to}T02:00:00Z`); t += 86400_000) {
    out.push(new Date(t).toISOString())
  }
  return out
}

describe('ISO weeks in UTC', () => {
  test.each([
    ['2020-12-28T00:00:00Z', '2020-W53'],
    ['2021-01-03T23:59:59Z', '2020-W53'],
    ['2021-01-04T00:00:00Z', '2021-W01'],
    ['2024-12-30T12:00:00Z', '2025-W01'],
    ['2026-11-30T04:00:00Z', '2026-W49']
  ])('%s is in %s', (iso, week) => {
    expect(isoWeek(new Date(iso))).toBe(week)
  })
})

describe('planRotation', () => {
  test('keep-daily keeps the newest backup of each of the last N days that hold one, counted from the newest', () => {
    const times = [...daily('2023-12-28', '2024-01-03'), '2024-01-03T14:00:00.000Z']
    const p = plan(times, { keepDaily: 3 })
    expect(p.keep).toEqual([
      '2024-01-03T14:00:00.000Z daily',
      '2024-01-02T02:00:00.000Z daily',
      '2024-01-01T02:00:00.000Z daily'
    ])
    expect(p.remove).toEqual([
      '2024-01-03T02:00:00.000Z',
      '2023-12-31T02:00:00.000Z',
      '2023-12-30T02:00:00.000Z',
      '2023-12-29T02:00:00.000Z',
      '2023-12-28T02:00:00.000Z'
    ])
  })

  test('days without a backup are not counted (periods that hold one, not calendar days)', () => {
    const p = plan(['2024-03-01T01:00:00Z', '2024-03-10T01:00:00Z', '2024-03-20T01:00:00Z'], { keepDaily: 2 })
    expect(p.keep).toEqual(['2024-03-20T01:00:00Z daily', '2024-03-10T01:00:00Z daily'])
    expect(p.remove).toEqual(['2024-03-01T01:00:00Z'])
  })

  test('keep-weekly uses ISO weeks, across the turn of a year (2021-01-03 is in week 53 of 2020)', () => {
    const times = ['2020-12-28T10:00:00Z', '2021-01-03T10:00:00Z', '2021-01-04T10:00:00Z', '2021-01-10T10:00:00Z']
    const p = plan([...times, '2021-01-11T10:00:00Z'], { keepWeekly: 3 })
    expect(p.keep).toEqual([
      '2021-01-11T10:00:00Z weekly',
      '2021-01-10T10:00:00Z weekly',
      '2021-01-03T10:00:00Z weekly'
    ])
    expect(p.remove).toEqual(['2021-01-04T10:00:00Z', '2020-12-28T10:00:00Z'])
  })

  test('a rule with periods left when the backups run out keeps the oldest too (restic 0.17)', () => {
    const p = plan(['2021-01-11T10:00:00Z', '2021-01-10T10:00:00Z', '2021-01-04T10:00:00Z'], { keepWeekly: 5 })
    expect(p.keep).toEqual([
      '2021-01-11T10:00:00Z weekly',
      '2021-01-10T10:00:00Z weekly',
      '2021-01-04T10:00:00Z oldest weekly'
    ])
    expect(p.remove).toEqual([])
  })

  test('months and years split at midnight UTC, whatever offset the time was written with', () => {
    const times = ['2023-12-31T23:00:00Z', '2024-01-01T00:30:00+01:00', '2024-01-31T23:59:59Z', '2024-02-01T00:00:00Z']
    expect(plan(times, { keepMonthly: 2 })).toEqual({
      keep: ['2024-02-01T00:00:00Z monthly', '2024-01-31T23:59:59Z monthly'],
      remove: ['2024-01-01T00:30:00+01:00', '2023-12-31T23:00:00Z']
    })
    // 00:30 at +01:00 is 23:30 UTC on Dec 31: still 2023, and newer than 23:00.
    expect(plan(times, { keepYearly: 2 })).toEqual({
      keep: ['2024-02-01T00:00:00Z yearly', '2024-01-01T00:30:00+01:00 yearly'],
      remove: ['2024-01-31T23:59:59Z', '2023-12-31T23:00:00Z']
    })
  })

  test('every kept backup names every rule that kept it', () => {
    const times = daily('2024-01-29', '2024-02-02')
    expect(plan(times, { keepLast: 2, keepDaily: 1, keepMonthly: 2 })).toEqual({
      keep: [
        '2024-02-02T02:00:00.000Z last+daily+monthly',
        '2024-02-01T02:00:00.000Z last',
        '2024-01-31T02:00:00.000Z monthly'
      ],
      remove: ['2024-01-30T02:00:00.000Z', '2024-01-29T02:00:00.000Z']
    })
  })

  test("restic's example: daily backups, keep 7 daily, 5 weekly, 12 monthly, 75 yearly", () => {
    const times = daily('2021-06-15', '2024-03-20')
    const result = planRotation(
      times.map(at),
      rules({ keepDaily: 7, keepWeekly: 5, keepMonthly: 12, keepYearly: 75 }),
      null,
      NOW
    )
    const by = (reason: string): string[] =>
      result.keep.filter(k => k.reasons.includes(reason as never)).map(k => k.backup.createdAt.slice(0, 10))
    expect(by('daily')).toEqual(
      daily('2024-03-14', '2024-03-20')
        .reverse()
        .map(t => t.slice(0, 10))
    )
    // The newest of each week is its Sunday (the newest week's newest day excepted).
    expect(by('weekly')).toEqual(['2024-03-20', '2024-03-17', '2024-03-10', '2024-03-03', '2024-02-25'])
    expect(by('monthly')).toEqual([
      '2024-03-20',
      '2024-02-29',
      '2024-01-31',
      '2023-12-31',
      '2023-11-30',
      '2023-10-31',
      '2023-09-30',
      '2023-08-31',
      '2023-07-31',
      '2023-06-30',
      '2023-05-31',
      '2023-04-30'
    ])
    expect(by('yearly')).toEqual(['2024-03-20', '2023-12-31', '2022-12-31', '2021-12-31'])
    expect(by('oldest yearly')).toEqual(['2021-06-15'])
    expect(result.keep.length + result.remove.length).toBe(times.length)
    expect(result.keep).toHaveLength(7 + 3 + 10 + 3 + 1)
  })

  test('ties in time: the greater name counts as newer, whatever order the store listed them in', () => {
    const same = '2024-05-05T05:05:05Z'
    const backups = [
      { name: 'x-a', createdAt: same },
      { name: 'x-c', createdAt: same },
      { name: 'x-b', createdAt: same }
    ]
    for (const order of [backups, [...backups].reverse()]) {
      const result = planRotation(order, rules({ keepLast: 1 }), null, NOW)
      expect(result.keep.map(k => k.backup.name)).toEqual(['x-c'])
      expect(result.remove.map(b => b.name)).toEqual(['x-b', 'x-a'])
    }
  })

  test('a backup whose time cannot be read is kept and named, and counts for no rule', () => {
    const backups = [
      { name: 'x-1', createdAt: '2024-01-01T00:00:00Z' },
      { name: 'x-null', createdAt: null },
      { name: 'x-garbage', createdAt: 'yesterday-ish' },
      { name: 'x-2', createdAt: '2024-01-02T00:00:00Z' }
    ]
    const result = planRotation(backups, rules({ keepLast: 1 }), null, NOW)
    expect(result.keep.map(k => [k.backup.name, k.reasons])).toEqual([
      ['x-2', ['last']],
      ['x-null', ['time unreadable']],
      ['x-garbage', ['time unreadable']]
    ])
    expect(result.remove.map(b => b.name)).toEqual(['x-1'])
  })

  test('the backup just made is never deleted, even when the rules would (a clock behind the others)', () => {
    const backups = [
      { name: 'x-new', createdAt: '2024-01-01T00:00:00Z' },
      { name: 'x-old', createdAt: '2024-01-05T00:00:00Z' }
    ]
    const result = planRotation(backups, rules({ keepLast: 1 }), 'x-new', NOW)
    expect(result.keep.map(k => [k.backup.name, k.reasons])).toEqual([
      ['x-old', ['last']],
      ['x-new', ['just made']]
    ])
    expect(result.remove).toEqual([])
  })

  test('every rule 0 is refused: it would delete every backup', () => {
    expect(() => planRotation([at('2024-01-01T00:00:00Z')], none, null, NOW)).toThrow(AllRulesZeroError)
    expect(() => planRotation([], none, null, NOW)).toThrow(/would delete every backup/)
  })

  describe('a forged time does not steer the rotation', () => {
    // A week of real nightly backups, the newest at 02:00 today.
    const real = daily('2026-11-24', '2026-11-30').map(iso => ({ name: `real-${iso}`, createdAt: iso }))

    test('backups dated in the future are kept and named, and neither anchor the periods nor fill them', () => {
      const forged = ['2031-01-01', '2031-01-02', '2031-01-03'].map(d => ({
        name: `forged-${d}`,
        createdAt: `${d}T00:00:00Z`
      }))
      const result = planRotation([...forged, ...real], rules({ keepLast: 3, keepDaily: 3 }), null, NOW)
      expect(result.keep.map(k => [k.backup.name, k.reasons.join('+')])).toEqual([
        ['real-2026-11-30T02:00:00.000Z', 'last+daily'],
        ['real-2026-11-29T02:00:00.000Z', 'last+daily'],
        ['real-2026-11-28T02:00:00.000Z', 'last+daily'],
        ['forged-2031-01-01', 'dated in the future'],
        ['forged-2031-01-02', 'dated in the future'],
        ['forged-2031-01-03', 'dated in the future']
      ])
      expect(result.remove).toHaveLength(4)
      expect(result.remove.every(b => b.name.startsWith('real-'))).toBe(true)
    })

    test('a time claimed after the store received the backup is not believed', () => {
      const planted = { name: 'planted', createdAt: '2026-11-30T11:59:00Z', storedAt: '2026-11-29T03:00:00Z' }
      const result = planRotation([planted, ...real], rules({ keepLast: 1 }), null, NOW)
      expect(result.keep.map(k => [k.backup.name, k.reasons])).toEqual([
        ['real-2026-11-30T02:00:00.000Z', ['last']],
        ['planted', ['dated after it was stored']]
      ])
    })

    test('clocks a few minutes apart are tolerated: a claim within the skew is believed', () => {
      const ahead = { name: 'ahead', createdAt: '2026-11-30T12:05:00Z', storedAt: '2026-11-30T12:00:00Z' }
      const result = planRotation([ahead, ...real], rules({ keepLast: 1 }), null, NOW)
      expect(result.keep.map(k => [k.backup.name, k.reasons])).toEqual([['ahead', ['last']]])
    })

    test('the backup just made stays kept even when its own clock runs ahead', () => {
      const mine = { name: 'mine', createdAt: '2026-11-30T13:00:00Z' }
      const result = planRotation([mine, ...real], rules({ keepLast: 1 }), 'mine', NOW)
      expect(result.keep.find(k => k.backup.name === 'mine')?.reasons).toEqual(['dated in the future', 'just made'])
      expect(result.keep.map(k => k.backup.name)).toContain('real-2026-11-30T02:00:00.000Z')
    })

    test('backups named untrusted (no trusted signature) are kept, named, and take no part', () => {
      const planted = { name: 'planted', createdAt: '2026-11-30T11:00:00Z' }
      const result = planRotation([planted, ...real], rules({ keepLast: 1 }), null, NOW, new Set(['planted']))
      expect(result.keep.map(k => [k.backup.name, k.reasons])).toEqual([
        ['real-2026-11-30T02:00:00.000Z', ['last']],
        ['planted', ['not signed by a trusted signer']]
      ])
      expect(result.remove).toHaveLength(6)
    })
  })
})
