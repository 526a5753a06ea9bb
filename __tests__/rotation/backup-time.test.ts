import { CLOCK_SKEW_MS, judgeBackupTime, rankingTime } from '../../src/rotation/backup-time.js'

const NOW = Date.parse('2026-11-30T12:00:00Z')
const iso = (ms: number): string => new Date(ms).toISOString()

describe('judgeBackupTime', () => {
  test.each([
    ['a past time with no store time', { createdAt: '2026-11-29T02:00:00Z' }, 'believed'],
    [
      'a past time before the store received it',
      { createdAt: iso(NOW - 3600_000), storedAt: iso(NOW - 3000_000) },
      'believed'
    ],
    ['a time up to the skew ahead of now', { createdAt: iso(NOW + CLOCK_SKEW_MS) }, 'believed'],
    ['a time past the skew ahead of now', { createdAt: iso(NOW + CLOCK_SKEW_MS + 1000) }, 'in the future'],
    [
      'a time past the skew after it was stored',
      { createdAt: iso(NOW - 1000), storedAt: iso(NOW - CLOCK_SKEW_MS - 2000) },
      'after it was stored'
    ],
    ['an unparseable time', { createdAt: 'soon' }, 'unreadable'],
    ['no time', { createdAt: null, storedAt: iso(NOW) }, 'unreadable'],
    [
      'an unparseable store time is not held against the claim',
      { createdAt: iso(NOW - 1000), storedAt: 'x' },
      'believed'
    ]
  ])('%s: %s', (_what, claim, kind) => {
    expect(judgeBackupTime(claim, NOW).kind).toBe(kind)
  })
})

describe('rankingTime', () => {
  test('a believed claim ranks by itself', () => {
    expect(rankingTime({ createdAt: iso(NOW - 5000), storedAt: iso(NOW) }, NOW)).toBe(NOW - 5000)
  })

  test('a claim not believed ranks by the time the store received it, or not at all', () => {
    expect(rankingTime({ createdAt: '2031-01-01T00:00:00Z', storedAt: iso(NOW - 60_000) }, NOW)).toBe(NOW - 60_000)
    expect(rankingTime({ createdAt: '2031-01-01T00:00:00Z' }, NOW)).toBeNull()
  })
})
