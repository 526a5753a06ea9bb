/**
 * Which artifacts a restore may take, and signatures that travel as a second artifact: the real @actions/artifact
 * client and REST calls against the local emulator, whose runs carry their trigger, branch and workflow file.
 * A pull-request run (or a run of another branch, or a fork) can upload an artifact with any name; a search across
 * the repository must not hand it to a restore unless told to.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { jest } from '@jest/globals'
import { startArtifactEmulator, type ArtifactEmulator, type RunMeta } from '../support/artifact-emulator.js'
import { SignatureError, StorageError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { Input } from '../../src/settings/inputs.js'
import type { RunTrust, StorageSettings } from '../../src/storage/types.js'
import { parsePrivateKey } from '../../src/signing/ssh-keys.js'
import type * as StorageModule from '../../src/storage/index.js'
import type * as RestoreSupport from '../support/e2e-restore.js'
import { signingFixture } from '../support/signing-fixtures.js'
import { storageSettings } from '../support/storage-fixtures.js'

let emu: ArtifactEmulator
let storage: typeof StorageModule
let support: typeof RestoreSupport
let tmp: string
const savedEnv = { ...process.env }
const logger = new MemoryLogger()

function settings(trust?: Partial<RunTrust>): StorageSettings {
  return storageSettings('artifact', {
    path: tmp,
    githubToken: emu.token,
    ...(trust ? { trust: { anyRun: false, branch: '', workflow: '', ...trust } } : {})
  })
}

function enterRun(env: Record<string, string>): void {
  Object.assign(process.env, env)
}

/** A backup of a few bytes uploaded by a new run started as `meta` says; returns that run's id. */
async function uploadIn(meta: RunMeta, name: string, signature?: string): Promise<number> {
  const run = emu.newRun(meta)
  enterRun(run.env)
  const store = await storage.createStorage(settings(), logger)
  const staged = await store.stagingPath(name)
  await writeFile(staged, `backup ${name}`)
  await store.publish(staged, name, logger, undefined, signature)
  return run.runId
}

beforeAll(async () => {
  const write = process.stdout.write.bind(process.stdout)
  jest
    .spyOn(process.stdout, 'write')
    .mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) =>
      String(chunk).startsWith('::') ||
      /^(Root directory|Uploaded bytes|Artifact|Beginning|Finished|SHA256|Finalizing|Uploading|Downloading|Redirecting|Starting|Fetching|Found)/.test(
        String(chunk)
      )
        ? true
        : write(chunk, ...rest)) as typeof process.stdout.write)
  tmp = await mkdtemp(path.join(os.tmpdir(), 'artifact-trust-'))
  emu = await startArtifactEmulator()
  enterRun(emu.env)
  process.env.RUNNER_TEMP = tmp
  storage = await import('../../src/storage/index.js')
  support = await import('../support/e2e-restore.js')
})

afterAll(async () => {
  await emu?.close()
  await rm(tmp, { recursive: true, force: true })
  process.env = savedEnv
  jest.restoreAllMocks()
})

describe('a search across the repository takes only trusted runs', () => {
  const runs: Record<string, number> = {}

  beforeAll(async () => {
    // Oldest first: the nightly job on main, then newer artifacts with the same prefix from runs that are not it.
    runs.nightly = await uploadIn({ workflow: '.github/workflows/nightly.yml' }, 'prod-20260101.zip')
    runs.release = await uploadIn({ branch: 'release', workflow: '.github/workflows/nightly.yml' }, 'prod-20260102.zip')
    runs.other = await uploadIn({ workflow: '.github/workflows/other.yml' }, 'prod-20260103.zip')
    runs.fork = await uploadIn({ event: 'push', headRepository: 'mallory/xlr-backups' }, 'prod-20260104.zip')
    runs.target = await uploadIn({ event: 'pull_request_target' }, 'prod-20260105.zip')
    runs.pr = await uploadIn({ event: 'pull_request', branch: 'feature' }, 'prod-20260106.zip')
    enterRun(emu.newRun().env)
  })

  it('by default: the newest of a run on the default branch not triggered by a pull request', async () => {
    const store = await storage.createStorage(settings(), logger)
    const found = await store.find({ prefix: 'prod-' }, logger)
    expect(found.name).toBe('prod-20260103.zip')
    expect(found.workflowRunId).toBe(runs.other)
    expect(logger.messages()).toEqual(
      expect.arrayContaining([
        `Skipped artifact 'prod-20260106.zip' (id ${emu.artifacts().find(a => a.name === 'prod-20260106.zip')?.id}, run ${runs.pr}): its run was triggered by 'pull_request'.`
      ])
    )
    // Same default when the settings say nothing about trust (an old caller).
    expect(
      (
        await (
          await storage.createStorage({ ...settings(), trust: undefined }, logger)
        ).find({ prefix: 'prod-' }, logger)
      ).name
    ).toBe('prod-20260103.zip')
  })

  it('an exact name across the repository is held to the same rule', async () => {
    const store = await storage.createStorage(settings(), logger)
    const error = (await store.find({ name: 'prod-20260106' }, logger).catch(e => e)) as Error
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toContain(`No artifact of a trusted run found: looked for a backup named 'prod-20260106'`)
    expect(error.message).toContain("its run was triggered by 'pull_request'")
    expect(error.message).toContain("'trust-any-run: true'")
    expect((await store.find({ name: 'prod-20260101' }, logger)).workflowRunId).toBe(runs.nightly)
  })

  it('backup-workflow and backup-branch name the runs that make the backups', async () => {
    const nightly = await storage.createStorage(settings({ workflow: 'nightly.yml' }), logger)
    expect((await nightly.find({ prefix: 'prod-' }, logger)).name).toBe('prod-20260101.zip')
    const release = await storage.createStorage(settings({ branch: 'release' }), logger)
    expect((await release.find({ prefix: 'prod-' }, logger)).name).toBe('prod-20260102.zip')
  })

  it('trust-any-run takes the newest of any run', async () => {
    const store = await storage.createStorage(settings({ anyRun: true }), logger)
    expect((await store.find({ prefix: 'prod-' }, logger)).name).toBe('prod-20260106.zip')
  })

  it('says why each candidate was skipped when none is trusted', async () => {
    const store = await storage.createStorage(settings({ branch: 'nope' }), logger)
    const error = (await store.find({ prefix: 'prod-2026010' }, logger).catch(e => e)) as Error
    expect(error.message).toMatch(/skipped 6 from runs that may not supply a backup/)
    expect(error.message).toContain('its run ran code from another repository (mallory/xlr-backups)')
    expect(error.message).toContain("its run was triggered by 'pull_request_target'")
    expect(error.message).toContain("its run was on branch 'main', not 'nope' ('backup-branch')")
  })

  it('an explicit run-id is the user choosing the run: not filtered', async () => {
    const store = await storage.createStorage({ ...settings(), runId: runs.pr }, logger)
    expect((await store.find({ prefix: 'prod-' }, logger)).name).toBe('prod-20260106.zip')
  })
})

describe('the signature as a second artifact', () => {
  it('is uploaded next to the backup, never found as a backup, and read back before the backup', async () => {
    const runId = await uploadIn({}, 'sig-20260101.zip', 'signature text\n')
    expect(
      emu
        .artifacts()
        .filter(a => a.runId === runId)
        .map(a => a.name)
    ).toEqual(['sig-20260101.zip', 'sig-20260101.zip.sig'])
    // From this run (the artifact client) and from a later run (REST).
    const here = await storage.createStorage(settings(), logger)
    const foundHere = await here.find({ prefix: 'sig-' }, logger)
    expect(foundHere.name).toBe('sig-20260101.zip')
    expect(await here.fetchSignature(foundHere, await mkdtemp(path.join(tmp, 'sig-')), logger)).toBe('signature text\n')
    enterRun(emu.newRun().env)
    const later = await storage.createStorage(settings(), logger)
    const found = await later.find({ prefix: 'sig-' }, logger)
    expect(found.name).toBe('sig-20260101.zip')
    const dest = await mkdtemp(path.join(tmp, 'sig-'))
    expect(await later.fetchSignature(found, dest, logger)).toBe('signature text\n')
    await expect(later.find({ name: 'sig-20260101.zip.sig' }, logger)).rejects.toThrow(StorageError)
    const unsigned = await uploadIn({}, 'sig-20260102.zip')
    enterRun(emu.newRun().env)
    const newest = await (await storage.createStorage(settings(), logger)).find({ prefix: 'sig-' }, logger)
    expect(newest.workflowRunId).toBe(unsigned)
    expect(await later.fetchSignature(newest, dest, logger)).toBeNull()
  })
})

describe('restore through the core with trusted-signers and storage: artifact', () => {
  let home: string

  async function drill(over: Partial<Record<Input, string>> = {}) {
    enterRun(emu.newRun().env)
    const before = await support.exactTree(home)
    const outcome = await support.attempt({
      [Input.Mode]: 'restore',
      [Input.Home]: home,
      [Input.Storage]: 'artifact',
      [Input.NamePrefix]: 'drill-',
      [Input.GithubToken]: emu.token,
      [Input.Database]: 'none',
      [Input.Threads]: '2',
      [Input.TrustedSigners]: signingFixture('signer.pub'),
      ...over
    })
    return { ...outcome, unchanged: (await support.exactTree(home)) === before }
  }

  async function backupIn(name: string, key: string | null): Promise<void> {
    enterRun(emu.newRun().env)
    await support.run({
      [Input.Home]: home,
      [Input.Storage]: 'artifact',
      [Input.Name]: name,
      [Input.Database]: 'none',
      [Input.Threads]: '2',
      ...(key ? { [Input.SigningKey]: key } : {})
    })
  }

  beforeAll(async () => {
    ;({ dir: home } = await support.makeDbHome(path.join(tmp, 'home'), {}))
  })

  it('restores a signed backup, then refuses a newer unsigned one and one signed by another key, home untouched', async () => {
    await backupIn('drill-1', signingFixture('signer'))
    const good = await drill()
    expect(good.error).toBeUndefined()
    expect(good.logger.messages().join('\n')).toContain('Signature of drill-1.zip checked: signed by xlr-test-signer')

    await backupIn('drill-2', null)
    const unsigned = await drill()
    expect(unsigned.error).toBeInstanceOf(SignatureError)
    expect(unsigned.error?.message).toContain('Backup drill-2.zip is not signed')
    expect(unsigned.unchanged).toBe(true)

    await backupIn('drill-3', signingFixture('stranger'))
    const foreign = await drill()
    expect(foreign.error).toBeInstanceOf(SignatureError)
    expect(foreign.error?.message).toContain(
      `Backup drill-3.zip is signed by key ${parsePrivateKey(signingFixture('stranger')).fingerprint}, which is not in 'trusted-signers'`
    )
    expect(foreign.unchanged).toBe(true)
    // Refused before the backup was downloaded: only the .sig artifact was fetched from that run.
    const drill3 = emu.artifacts().find(a => a.name === 'drill-3.zip')!
    const blobRequests = emu.requests.filter(r => r.includes(path.basename(drill3.blobFile)))
    expect(blobRequests.length).toBeGreaterThan(0)
    expect(blobRequests.filter(r => !r.startsWith('PUT '))).toEqual([])
  })

  it('a pull-request run cannot supply the drill its backup; trust-any-run (an input) lets it', async () => {
    const pr = emu.newRun({ event: 'pull_request', branch: 'feature' })
    enterRun(pr.env)
    await support.run({
      [Input.Home]: home,
      [Input.Storage]: 'artifact',
      [Input.Name]: 'drill-9',
      [Input.Database]: 'none',
      [Input.Threads]: '2'
    })
    const strict = await drill({ [Input.TrustedSigners]: '', [Input.DryRun]: 'true' })
    expect(strict.error).toBeUndefined()
    const log = strict.logger.messages().join('\n')
    expect(log).toMatch(
      /Skipped artifact 'drill-9\.zip' \(id \d+, run \d+\): its run was triggered by 'pull_request'\./
    )
    expect(log).toContain("Newest artifact starting with 'drill-' in octo-org/xlr-backups: 'drill-3.zip'")
    const loose = await drill({ [Input.TrustedSigners]: '', [Input.DryRun]: 'true', [Input.TrustAnyRun]: 'true' })
    expect(loose.error).toBeUndefined()
    expect(loose.logger.messages().join('\n')).toContain(
      "Newest artifact starting with 'drill-' in octo-org/xlr-backups: 'drill-9.zip'"
    )
  })
})
