/** Rotation of 'storage: directory' through the whole core (parseSettings + runJob), with a dry run first. */
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { DirectoryStorage } from '../../src/storage/index.js'
import { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { run } from '../support/run-job.js'
import {
  CALENDAR,
  DELETED,
  expectedRows,
  KEPT,
  PREFIX,
  RULES,
  rotationRows,
  storeBackup
} from '../support/rotation-calendar.js'

let folder: string

beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'rotation-directory-'))
  const storage = new DirectoryStorage(folder)
  const logger = new MemoryLogger()
  for (const [name, time] of [...CALENDAR, ['other-x.zip', '2020-01-01T00:00:00.000Z'] as [string, string]]) {
    await storeBackup(storage, name, logger)
    await utimes(path.join(folder, name), new Date(time), new Date(time))
  }
})

afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
})

const prune = { [Input.Mode]: 'prune', [Input.Storage]: 'directory', [Input.Path]: '', [Input.NamePrefix]: PREFIX }

test('list gives every backup under the prefix, dated by its file', async () => {
  const listed = await new DirectoryStorage(folder).list(PREFIX)
  expect(listed.map(b => [b.name, b.createdAt]).sort()).toEqual(CALENDAR)
})

test('a dry run prints the plan and deletes nothing', async () => {
  const before = await readdir(folder)
  const { result, logger } = await run({ ...prune, [Input.Path]: folder, ...RULES, [Input.DryRun]: 'true' })
  expect(rotationRows(result)).toEqual(expectedRows('would delete'))
  expect(result.summary.notes).toContain("'dry-run: true': the rotation deleted nothing.")
  expect(logger.messages('info')).toContain('Would delete nightly-d.zip (2026-01-05T02:00:00.000Z) (dry run)')
  expect((await readdir(folder)).sort()).toEqual(before.sort())
})

test('prune deletes what no rule keeps, with its digest and signature, and nothing outside the prefix', async () => {
  const { result, logger } = await run({ ...prune, [Input.Path]: folder, ...RULES })
  expect(rotationRows(result)).toEqual(expectedRows('deleted'))
  expect(logger.messages('info')).toContain('Keep nightly-c.zip (2026-01-04T02:00:00.000Z): keep-daily, keep-weekly')
  const left = (await readdir(folder)).sort()
  const expected = [...KEPT.map(([name]) => name), 'other-x.zip']
    .flatMap(name => [name, `${name}.sha256`, `${name}.sig`])
    .sort()
  expect(left).toEqual(expected)
  for (const name of DELETED) expect(left.some(f => f.startsWith(name))).toBe(false)
  expect(result.summary.facts).toContainEqual(['Deleted', '2'])
})
