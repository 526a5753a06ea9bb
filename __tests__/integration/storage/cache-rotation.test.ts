/**
 * Rotation of 'storage: cache' through the whole core: the real @actions/cache client saves the calendar, the REST
 * API lists (key prefix, this branch) and deletes against the local emulator.
 */
import { mkdir, mkdtemp } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { startCacheEmulator, type CacheEmulator } from '../../support/cache-emulator.js'
import { cleanUpEmulatorAfterAll, hideToolkitOutput } from '../../support/env.js'
import { storageSettings } from '../../support/storage-fixtures.js'
import { run, runFailing } from '../../support/run-job.js'
import { Input } from '../../../src/settings/inputs.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { InputError } from '../../../src/shared/errors.js'
import type * as StorageModule from '../../../src/storage/index.js'
import {
  CALENDAR,
  expectedRows,
  KEPT,
  PREFIX,
  RULES,
  rotationRows,
  storeBackup
} from '../../support/rotation-calendar.js'

let emu: CacheEmulator
let tmp: string
let storage: typeof StorageModule
const readOnlyToken = 'ghs_read_only_token'
const logger = new MemoryLogger()
const KEY = 'xlr-backup-'

cleanUpEmulatorAfterAll(() => ({ emu, tmp }))

beforeAll(async () => {
  hideToolkitOutput()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rotation-cache-'))
  const workspace = path.join(tmp, 'workspace')
  await mkdir(workspace)
  emu = await startCacheEmulator({ readOnlyTokens: [readOnlyToken] })
  Object.assign(process.env, emu.env, { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: tmp })
  process.chdir(workspace)
  storage = await import('../../../src/storage/index.js')
  const store = await storage.createStorage(storageSettings('cache'), logger)
  for (const [name, time] of [...CALENDAR, ['other-x.zip', '2020-01-01T00:00:00.000Z'] as [string, string]]) {
    await storeBackup(store, name, logger)
    emu.backdate(KEY + name, time)
  }
  // The newest under the prefix, but saved by a pull request's merge ref: neither counted nor deleted.
  emu.setRef('refs/pull/7/merge')
  await storeBackup(store, 'nightly-zz-pr.zip', logger)
})

const prune = (token: string) => ({
  [Input.Mode]: 'prune',
  [Input.Storage]: 'cache',
  [Input.GithubToken]: token,
  [Input.NamePrefix]: PREFIX,
  ...RULES
})

const keys = (): string[] =>
  emu
    .entries()
    .map(e => e.key)
    .sort()

test("list gives this branch's entries under the prefix, dated by the service", async () => {
  const store = await storage.createStorage(storageSettings('cache', { githubToken: emu.token }), logger)
  const listed = await store.list(PREFIX, logger)
  expect(listed.map(b => [b.name, b.createdAt]).sort()).toEqual(CALENDAR)
  expect(listed.every(b => b.ref === KEY + b.name)).toBe(true)
})

test('without a token the rotation names the input to set', async () => {
  const { error } = await runFailing(prune(''))
  expect(error).toBeInstanceOf(InputError)
  expect(error.message).toMatch(/'github-token' is empty.*'actions: write'/)
})

test('a dry run prints the plan and deletes nothing', async () => {
  const before = keys()
  const { result } = await run({ ...prune(emu.token), [Input.DryRun]: 'true' })
  expect(rotationRows(result)).toEqual(expectedRows('would delete'))
  expect(keys()).toEqual(before)
})

test('a token without actions: write is refused with the fix, and nothing is deleted', async () => {
  const before = keys()
  const { error } = await runFailing(prune(readOnlyToken))
  expect(error.message).toMatch(/refused to delete cache entry 'xlr-backup-nightly-d.zip'.*needs 'actions: write'/)
  expect(keys()).toEqual(before)
})

test('prune deletes what no rule keeps, and nothing of another branch or outside the prefix', async () => {
  const { result } = await run(prune(emu.token))
  expect(rotationRows(result)).toEqual(expectedRows('deleted'))
  expect(keys()).toEqual([...KEPT.map(([name]) => name), 'other-x.zip', 'nightly-zz-pr.zip'].map(n => KEY + n).sort())
})
