import { Input } from '../../src/settings/inputs.js'
import { InputError } from '../../src/shared/errors.js'
import { settingsOf as parse, type Inputs } from '../support/run-job.js'
import { thrownBy } from '../support/thrown.js'

const backup: Inputs = { [Input.Home]: '/h', [Input.Storage]: 'directory', [Input.Path]: '/backups' }
const prune: Inputs = { [Input.Mode]: 'prune', [Input.Storage]: 'directory', [Input.Path]: '/backups' }
const verify: Inputs = { [Input.Mode]: 'verify', [Input.Storage]: 'directory', [Input.Path]: '/backups' }

const refused = (values: Inputs): InputError => thrownBy(InputError, () => parse(values))

describe('rotation inputs', () => {
  test('keep-* rules are read for backup and prune; none set means no rotation', () => {
    expect(parse(backup).rotation).toEqual({
      keepLast: 0,
      keepDaily: 0,
      keepWeekly: 0,
      keepMonthly: 0,
      keepYearly: 0,
      dryRun: false,
      maxAgeSeconds: null
    })
    const s = parse({
      ...prune,
      [Input.NamePrefix]: 'xlr-prod-',
      [Input.KeepDaily]: '7',
      [Input.KeepWeekly]: '4',
      [Input.KeepYearly]: '0',
      [Input.DryRun]: 'true'
    })
    expect(s.mode).toBe('prune')
    expect(s.home).toBe('')
    expect(s.rotation).toMatchObject({ keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 0, dryRun: true })
  })

  test('a backup with name-prefix and no name is called <prefix><UTC time>', () => {
    const s = parse({ ...backup, [Input.NamePrefix]: 'xlr-prod-', [Input.KeepLast]: '3' })
    expect(s.storage.name).toMatch(/^xlr-prod-\d{8}T\d{6}Z$/)
    expect(s.storage.namePrefix).toBe('xlr-prod-')
  })

  test.each([
    [{ ...prune, [Input.NamePrefix]: 'p-' }, Input.KeepLast, /Mode 'prune' needs at least one of 'keep-last'/],
    [
      { ...prune, [Input.NamePrefix]: 'p-', [Input.KeepLast]: '0', [Input.KeepDaily]: '0' },
      Input.KeepLast,
      /would delete every backup/
    ],
    [{ ...backup, [Input.NamePrefix]: 'p-', [Input.KeepWeekly]: '0' }, Input.KeepWeekly, /would delete every backup/],
    [{ ...backup, [Input.KeepDaily]: '7' }, Input.NamePrefix, /'keep-daily' needs 'name-prefix'/],
    [{ ...prune, [Input.KeepDaily]: '7' }, Input.NamePrefix, /needs 'name-prefix'/],
    [{ ...prune, [Input.NamePrefix]: 'p-', [Input.KeepLast]: '-1' }, Input.KeepLast, /whole number from 0/],
    [{ ...prune, [Input.NamePrefix]: 'p-', [Input.KeepMonthly]: 'many' }, Input.KeepMonthly, /whole number/],
    [
      { ...backup, [Input.NamePrefix]: 'p-', [Input.Name]: 'other-1', [Input.KeepLast]: '2' },
      Input.Name,
      /does not start with 'name-prefix'/
    ],
    [{ ...prune, [Input.NamePrefix]: 'p-', [Input.KeepLast]: '2', [Input.DryRun]: 'yes' }, Input.DryRun, /'true' or/],
    [
      { ...prune, [Input.Storage]: 'cache', [Input.NamePrefix]: 'p-', [Input.KeepLast]: '2' },
      Input.GithubToken,
      /'github-token' is empty, but 'keep-last' lists.*'actions: write'/
    ],
    [
      { ...verify, [Input.Storage]: 'artifact', [Input.NamePrefix]: 'p-', [Input.MaxAge]: '8d' },
      Input.GithubToken,
      /'github-token' is empty, but 'max-age' lists/
    ]
  ])('refuses %o naming %s', (values, input, message) => {
    const error = refused(values)
    expect(error.input).toBe(input)
    expect(error.message).toMatch(message)
  })

  test('keep-* are not read by restore or verify (their scope is backup and prune)', () => {
    const s = parse({ ...verify, [Input.NamePrefix]: 'p-', [Input.KeepLast]: 'junk' })
    expect(s.rotation.keepLast).toBe(0)
  })
})

describe('max-age', () => {
  test.each([
    ['26h', 26 * 3600],
    ['8d', 8 * 86400],
    ['2w', 14 * 86400],
    ['90m', 5400],
    ['3600s', 3600]
  ])('%s is %d seconds', (value, seconds) => {
    expect(parse({ ...verify, [Input.NamePrefix]: 'p-', [Input.MaxAge]: value }).rotation.maxAgeSeconds).toBe(seconds)
  })

  test.each([
    [{ ...verify, [Input.NamePrefix]: 'p-', [Input.MaxAge]: '26' }, /number with a unit/],
    [{ ...verify, [Input.NamePrefix]: 'p-', [Input.MaxAge]: '1y' }, /number with a unit/],
    [{ ...verify, [Input.NamePrefix]: 'p-', [Input.MaxAge]: '0h' }, /from 1s to 10 years/],
    [{ ...verify, [Input.NamePrefix]: 'p-', [Input.MaxAge]: '4000d' }, /from 1s to 10 years/],
    [{ ...verify, [Input.Name]: 'exact', [Input.MaxAge]: '26h' }, /'max-age' needs 'name-prefix'/]
  ])('refuses %o', (values, message) => {
    const error = refused(values)
    expect(error.input).toBe(Input.MaxAge)
    expect(error.message).toMatch(message)
  })

  test('is read by verify only', () => {
    expect(parse({ ...backup, [Input.MaxAge]: 'soon' }).rotation.maxAgeSeconds).toBeNull()
  })
})
