/**
 * Rotation of 'storage: artifact' through the whole core: the real @actions/artifact client uploads the calendar
 * (each backup from its own run), the REST API lists and deletes against the local emulator.
 */
import { mkdtemp } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { startArtifactEmulator, type ArtifactEmulator } from '../support/artifact-emulator.js'
import { cleanUpEmulatorAfterAll, hideToolkitOutput } from '../support/env.js'
import { storageSettings } from '../support/storage-fixtures.js'
import { run, runFailing } from '../support/run-job.js'
import { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import type * as StorageModule from '../../src/storage/index.js'
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

let emu: ArtifactEmulator
let tmp: string
let storage: typeof StorageModule
const readOnlyToken = 'ghs_read_only_token'
const logger = new MemoryLogger()

cleanUpEmulatorAfterAll(() => ({ emu, tmp }))

async function uploadInNewRun(name: string, meta: Parameters<ArtifactEmulator['newRun']>[0] = {}): Promise<void> {
  Object.assign(process.env, emu.newRun(meta).env)
  const store = await storage.createStorage(storageSettings('artifact', { path: tmp, githubToken: emu.token }), logger)
  await storeBackup(store, name, logger)
}

beforeAll(async () => {
  hideToolkitOutput(/^(::|Root directory|Uploaded bytes|Artifact|Beginning|Finished|SHA256|Finalizing|Uploading)/)
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rotation-artifact-'))
  emu = await startArtifactEmulator({ readOnlyTokens: [readOnlyToken] })
  process.env.RUNNER_TEMP = tmp
  storage = await import('../../src/storage/index.js')
  for (const [name, time] of CALENDAR) {
    await uploadInNewRun(name)
    emu.backdate(name, time)
  }
  await uploadInNewRun('other-x.zip')
  emu.backdate('other-x.zip', '2020-01-01T00:00:00.000Z')
  // The newest under the prefix, but from a pull request: neither counted nor deleted.
  await uploadInNewRun('nightly-zz-pr.zip', { event: 'pull_request', branch: 'feature' })
})

const prune = (token: string) => ({
  [Input.Mode]: 'prune',
  [Input.Storage]: 'artifact',
  [Input.GithubToken]: token,
  [Input.NamePrefix]: PREFIX,
  ...RULES
})

const liveNames = (): string[] =>
  emu
    .artifacts()
    .map(a => a.name)
    .sort()

test('list gives every trusted backup under the prefix, dated by the service, and leaves the pull request out', async () => {
  const store = await storage.createStorage(storageSettings('artifact', { githubToken: emu.token }), logger)
  const listed = await store.list(PREFIX, logger)
  expect(listed.map(b => [b.name, b.createdAt]).sort()).toEqual(CALENDAR)
  expect(logger.messages('info').some(m => m.startsWith("Left out artifact 'nightly-zz-pr.zip'"))).toBe(true)
})

test('a dry run prints the plan and deletes nothing', async () => {
  const before = liveNames()
  const { result } = await run({ ...prune(emu.token), [Input.DryRun]: 'true' })
  expect(rotationRows(result)).toEqual(expectedRows('would delete'))
  expect(liveNames()).toEqual(before)
})

test('a token without actions: write is refused with the fix, and nothing is deleted', async () => {
  const before = liveNames()
  const { error } = await runFailing(prune(readOnlyToken))
  expect(error.message).toMatch(/HTTP 403.*'github-token' needs 'actions: write'.*permissions: \{ actions: write \}/)
  expect(error.message).toMatch(/stopped after deleting 0 backup\(s\); 2 it meant to delete remain/)
  expect(liveNames()).toEqual(before)
})

test('prune deletes through the REST API what no rule keeps, with its signature artifact', async () => {
  const from = emu.requests.length
  const { result } = await run(prune(emu.token))
  expect(rotationRows(result)).toEqual(expectedRows('deleted'))
  const kept = [...KEPT.map(([name]) => name), 'other-x.zip', 'nightly-zz-pr.zip']
  expect(liveNames()).toEqual(kept.flatMap(name => [name, `${name}.sig`]).sort())
  // Each deleted backup and its signature: one DELETE each.
  expect(emu.requests.slice(from).filter(r => r.startsWith('DELETE /repos/'))).toHaveLength(DELETED.length * 2)
})
