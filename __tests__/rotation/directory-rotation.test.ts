/** Rotation of 'storage: directory' through the whole core (parseSettings + runJob), with a dry run first. */
import { readdir, utimes } from 'node:fs/promises'
import * as path from 'node:path'
import { DirectoryStorage } from '../../src/storage/index.js'
import { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import * as calendar from '../support/rotation-calendar.js'
import { scratchFolder } from '../support/scratch.js'

let folder: string

scratchFolder('rotation-directory-', made => (folder = made))
beforeAll(async () => {
  const storage = new DirectoryStorage(folder)
  const logger = new MemoryLogger()
  for (const [name, time] of calendar.STORED) {
    await calendar.storeBackup(storage, name, logger)
    await utimes(path.join(folder, name), new Date(time), new Date(time))
  }
})

const prune = () => calendar.pruneInputs('directory', { [Input.Path]: folder })
const files = (): Promise<string[]> => readdir(folder)

test('list gives every backup under the prefix, dated by its file', async () => {
  calendar.expectCalendar(await new DirectoryStorage(folder).list(calendar.PREFIX))
})

test('a dry run prints the plan and deletes nothing', async () => {
  const { result, logger } = await calendar.expectDryRun(prune(), files)
  expect(result.summary.notes).toContain("'dry-run: true': the rotation deleted nothing.")
  expect(logger.messages('info')).toContain('Would delete nightly-d.zip (2026-01-05T02:00:00.000Z) (dry run)')
})

test('prune deletes what no rule keeps, with its digest and signature, and nothing outside the prefix', async () => {
  const expected = calendar.keptAnd('other-x.zip').flatMap(name => [name, `${name}.sha256`, `${name}.sig`])
  const { result, logger } = await calendar.expectPruned(prune(), files, expected)
  expect(logger.messages('info')).toContain('Keep nightly-c.zip (2026-01-04T02:00:00.000Z): keep-daily, keep-weekly')
  const left = await files()
  for (const name of calendar.DELETED) expect(left.some(f => f.startsWith(name))).toBe(false)
  expect(result.summary.facts).toContainEqual(['Deleted', '2'])
})
