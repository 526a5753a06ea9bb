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
import { runFailing } from '../../support/run-job.js'
import { Input } from '../../../src/settings/inputs.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { InputError } from '../../../src/shared/errors.js'
import type * as StorageModule from '../../../src/storage/index.js'
import * as calendar from '../../support/rotation-calendar.js'

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
  for (const [name, time] of calendar.STORED) {
    await calendar.storeBackup(store, name, logger)
    emu.backdate(KEY + name, time)
  }
  // The newest under the prefix, but saved by a pull request's merge ref: neither counted nor deleted.
  emu.setRef('refs/pull/7/merge')
  await calendar.storeBackup(store, 'nightly-zz-pr.zip', logger)
})

const prune = (token: string) => calendar.pruneInputs('cache', { [Input.GithubToken]: token })

const keys = (): string[] => emu.entries().map(e => e.key)

test("list gives this branch's entries under the prefix, dated by the service", async () => {
  const store = await storage.createStorage(storageSettings('cache', { githubToken: emu.token }), logger)
  const listed = await store.list(calendar.PREFIX, logger)
  calendar.expectCalendar(listed)
  expect(listed.every(b => b.ref === KEY + b.name)).toBe(true)
})

test('without a token the rotation names the input to set', async () => {
  const { error } = await runFailing(prune(''))
  expect(error).toBeInstanceOf(InputError)
  expect(error.message).toMatch(/'github-token' is empty.*'actions: write'/)
})

test('a dry run prints the plan and deletes nothing', async () => {
  await calendar.expectDryRun(prune(emu.token), keys)
})

test('a token without actions: write is refused with the fix, and nothing is deleted', async () => {
  const error = await calendar.expectRefusedPrune(prune(readOnlyToken), keys)
  expect(error.message).toMatch(/refused to delete cache entry 'xlr-backup-nightly-d.zip'.*needs 'actions: write'/)
})

test('prune deletes what no rule keeps, and nothing of another branch or outside the prefix', async () => {
  const left = calendar.keptAnd('other-x.zip', 'nightly-zz-pr.zip').map(n => KEY + n)
  await calendar.expectPruned(prune(emu.token), keys, left)
})
