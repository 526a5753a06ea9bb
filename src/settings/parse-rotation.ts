import { InputError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import { keepsNothing } from '../rotation/policy.js'
import type { Mode, RotationSettings } from './settings.js'

const KEEP_INPUTS = [
  [Input.KeepLast, 'keepLast'],
  [Input.KeepDaily, 'keepDaily'],
  [Input.KeepWeekly, 'keepWeekly'],
  [Input.KeepMonthly, 'keepMonthly'],
  [Input.KeepYearly, 'keepYearly']
] as const

/** A generous bound: a rule larger than any store's backup count only keeps everything. */
const MAX_KEEP = 100_000
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
/** Ten years: an alarm set longer than that is a typo. */
const MAX_AGE_SECONDS = 10 * 366 * 86400

/**
 * The rotation inputs ('keep-*', 'dry-run') and verify's 'max-age', checked against the mode and 'name-prefix'.
 * `get` reads an input as parseSettings does (trimmed, '' outside its scope); `name` is the backup's name as it will
 * be made (backup mode) or as given.
 */
export function parseRotation(
  get: (input: Input) => string,
  mode: Mode,
  names: { name: string; namePrefix: string },
  dryRun: boolean,
  /** The store lists and deletes through the GitHub API (artifact, cache), and 'github-token' is empty. */
  noApiToken: boolean
): RotationSettings {
  const given = KEEP_INPUTS.filter(([input]) => get(input) !== '')
  const rules = {
    keepLast: 0,
    keepDaily: 0,
    keepWeekly: 0,
    keepMonthly: 0,
    keepYearly: 0
  }
  for (const [input, field] of KEEP_INPUTS) rules[field] = keepCount(input, get(input))
  const keepList = KEEP_INPUTS.map(([input]) => `'${input}'`).join(', ')
  if (mode === 'prune' && given.length === 0) {
    throw new InputError(
      Input.KeepLast,
      `Mode 'prune' needs at least one of ${keepList}: they say which backups under '${Input.NamePrefix}' to keep.`
    )
  }
  if (given.length > 0 && keepsNothing(rules)) {
    throw new InputError(
      given[0][0],
      `Every 'keep-*' input is 0: the rotation would delete every backup under '${Input.NamePrefix}'. ` +
        `Keep at least one (e.g. '${Input.KeepLast}: 3'), or remove the 'keep-*' inputs to turn the rotation off.`
    )
  }
  if (given.length > 0 && names.namePrefix === '') {
    throw new InputError(
      Input.NamePrefix,
      `Input '${given[0][0]}' needs '${Input.NamePrefix}': the rotation only ever deletes backups whose names start with it ` +
        `(e.g. 'xlr-backup-prod-').`
    )
  }
  if (mode === 'backup' && given.length > 0 && !names.name.startsWith(names.namePrefix)) {
    throw new InputError(
      Input.Name,
      `Input '${Input.Name}' (${JSON.stringify(names.name)}) does not start with '${Input.NamePrefix}' ` +
        `(${JSON.stringify(names.namePrefix)}), so the rotation would not count the new backup: leave '${Input.Name}' ` +
        `empty (the backup is then called '<name-prefix><UTC time>') or make it start with the prefix.`
    )
  }
  const maxAgeSeconds = maxAge(get(Input.MaxAge))
  if (maxAgeSeconds !== null && names.namePrefix === '') {
    throw new InputError(
      Input.MaxAge,
      `Input '${Input.MaxAge}' needs '${Input.NamePrefix}': it checks the newest backup whose name starts with it ` +
        `(use '${Input.NamePrefix}' instead of '${Input.Name}').`
    )
  }
  const user = given.length > 0 ? given[0][0] : maxAgeSeconds !== null ? Input.MaxAge : null
  if (user !== null && noApiToken) {
    throw new InputError(
      Input.GithubToken,
      `Input '${Input.GithubToken}' is empty, but '${user}' lists (and the rotation deletes) backups through the GitHub ` +
        `API: pass a token with 'actions: write' for a rotation, 'actions: read' for '${Input.MaxAge}' (the default ` +
        `'\${{ github.token }}' has them with 'permissions: { actions: write }').`
    )
  }
  return { ...rules, dryRun, maxAgeSeconds }
}

function keepCount(input: Input, value: string): number {
  if (value === '') return 0
  if (!/^\d+$/.test(value) || Number(value) > MAX_KEEP) {
    throw new InputError(
      input,
      `Input '${input}' must be a whole number from 0 to ${MAX_KEEP} (0 = rule off), got ${JSON.stringify(value)}.`
    )
  }
  return Number(value)
}

/** '26h', '8d', '90m', '2w', '3600s' → seconds; '' → null. */
export function maxAge(value: string): number | null {
  if (value === '') return null
  const m = /^(\d+)\s*([smhdw])$/.exec(value)
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2]] : NaN
  if (!(seconds >= 1 && seconds <= MAX_AGE_SECONDS)) {
    throw new InputError(
      Input.MaxAge,
      `Input '${Input.MaxAge}' must be a number with a unit (s, m, h, d or w), from 1s to 10 years, e.g. '26h' for a ` +
        `nightly backup or '8d' for a weekly one; got ${JSON.stringify(value)}.`
    )
  }
  return seconds
}
