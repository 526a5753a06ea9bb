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
import { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import type * as StorageModule from '../../src/storage/index.js'
import * as calendar from '../support/rotation-calendar.js'

let emu: ArtifactEmulator
let tmp: string
let storage: typeof StorageModule
const readOnlyToken = 'ghs_read_only_token'
const logger = new MemoryLogger()

cleanUpEmulatorAfterAll(() => ({ emu, tmp }))

async function uploadInNewRun(name: string, meta: Parameters<ArtifactEmulator['newRun']>[0] = {}): Promise<void> {
  Object.assign(process.env, emu.newRun(meta).env)
  const store = await storage.createStorage(storageSettings('artifact', { path: tmp, githubToken: emu.token }), logger)
  await calendar.storeBackup(store, name, logger)
}

beforeAll(async () => {
  hideToolkitOutput(/^(::|Root directory|Uploaded bytes|Artifact|Beginning|Finished|SHA256|Finalizing|Uploading)/)
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rotation-artifact-'))
  emu = await startArtifactEmulator({ readOnlyTokens: [readOnlyToken] })
  process.env.RUNNER_TEMP = tmp
  storage = await import('../../src/storage/index.js')
  for (const [name, time] of calendar.STORED) {
    await uploadInNewRun(name)
    emu.backdate(name, time)
  }
  // The newest under the prefix, but from a pull request: neither counted nor deleted.
  await uploadInNewRun('nightly-zz-pr.zip', { event: 'pull_request', branch: 'feature' })
})

const prune = (token: string) => calendar.pruneInputs('artifact', { [Input.GithubToken]: token })

const liveNames = (): string[] => emu.artifacts().map(a => a.name)

test('list gives every trusted backup under the prefix, dated by the service, and leaves the pull request out', async () => {
  const store = await storage.createStorage(storageSettings('artifact', { githubToken: emu.token }), logger)
  calendar.expectCalendar(await store.list(calendar.PREFIX, logger))
  expect(logger.messages('info').some(m => m.startsWith("Left out artifact 'nightly-zz-pr.zip'"))).toBe(true)
})

test('a dry run prints the plan and deletes nothing', async () => {
  await calendar.expectDryRun(prune(emu.token), liveNames)
})

test('a token without actions: write is refused with the fix, and nothing is deleted', async () => {
  const error = await calendar.expectRefusedPrune(prune(readOnlyToken), liveNames)
  expect(error.message).toMatch(/HTTP 403.*'github-token' needs 'actions: write'.*permissions: \{ actions: write \}/)
  expect(error.message).toMatch(/stopped after deleting 0 backup\(s\); 2 it meant to delete remain/)
})

test('prune deletes through the REST API what no rule keeps, with its signature artifact', async () => {
  const from = emu.requests.length
  const kept = calendar.keptAnd('other-x.zip', 'nightly-zz-pr.zip')
  await calendar.expectPruned(
    prune(emu.token),
    liveNames,
    kept.flatMap(name => [name, `${name}.sig`])
  )
  // Each deleted backup and its signature: one DELETE each.
  const deletes = emu.requests.slice(from).filter(r => r.startsWith('DELETE /repos/'))
  expect(deletes).toHaveLength(calendar.DELETED.length * 2)
})
