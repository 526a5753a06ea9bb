/**
 * The artifact backend against the local emulator, through the real @actions/artifact client over HTTP.
 * The emulator's environment is set before the client is imported: @actions/github reads GITHUB_API_URL once.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { startArtifactEmulator, type ArtifactEmulator } from '../support/artifact-emulator.js'
import { hideToolkitOutput, cleanUpEmulatorAfterAll } from '../support/env.js'
import { sha256File as sha256Of } from '../support/hash.js'
import { storageSettings } from '../support/storage-fixtures.js'
import { InputError, IntegrityError, StorageError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import type { StorageSettings } from '../../src/settings/settings.js'
import type * as StorageModule from '../../src/storage/index.js'

let emu: ArtifactEmulator
let storage: typeof StorageModule
let tmp: string
const logger = new MemoryLogger()

function settings(over: Partial<StorageSettings> = {}): StorageSettings {
  return storageSettings('artifact', { path: tmp, ...over })
}

/** Switches this process into a job of `env`'s run (the client reads its token and URLs on every call). */
function enterRun(env: Record<string, string>): void {
  Object.assign(process.env, env)
}

/** Writes a file of random bytes and returns its content's SHA-256. */
async function randomFile(file: string, size: number): Promise<string> {
  const data = randomBytes(size)
  await writeFile(file, data)
  return createHash('sha256').update(data).digest('hex')
}

/** Stages and publishes a backup of `size` random bytes in the current run. */
async function backup(
  fileName: string,
  size = 4096,
  over: Partial<StorageSettings> = {}
): Promise<{ sha256: string; published: StorageModule.PublishedBackup }> {
  const store = await storage.createStorage(settings(over), logger)
  const staged = await store.stagingPath(fileName)
  const sha256 = await randomFile(staged, size)
  const published = await store.publish(staged, fileName, logger)
  return { sha256, published }
}

beforeAll(async () => {
  hideToolkitOutput(
    /^(::|Root directory|Uploaded bytes|Artifact|Beginning|Finished|SHA256|Finalizing|Uploading|Downloading|Redirecting|Starting|Fetching|Found)/
  )
  tmp = await mkdtemp(path.join(os.tmpdir(), 'storage-artifact-'))
  emu = await startArtifactEmulator()
  enterRun(emu.env)
  process.env.RUNNER_TEMP = tmp
  storage = await import('../../src/storage/index.js')
})

cleanUpEmulatorAfterAll(() => ({ emu, tmp }))

describe('artifact storage round trip', () => {
  let big: { sha256: string; published: StorageModule.PublishedBackup }
  const bigName = 'xlr-backup-big-20261127T120000Z.zip'

  test('uploads a 20 MB backup as a single raw file: no wrapping zip, blocks joined by the block list', async () => {
    big = await backup(bigName, 20 * 1024 * 1024 + 777, { retentionDays: 9 })
    const { published } = big
    expect(published.sha256).toBe(big.sha256)
    expect(published.size).toBe(20 * 1024 * 1024 + 777)
    expect(published.artifactId).toBeGreaterThan(0)
    expect(published.artifactUrl).toBe(
      `https://github.com/${emu.repository}/actions/runs/${emu.runId}/artifacts/${published.artifactId}`
    )
    const stored = emu.artifacts().find(a => a.id === published.artifactId)
    expect(stored?.name).toBe(bigName)
    expect(stored?.digest).toBe(`sha256:${big.sha256}`)
    // The stored blob is the file itself, byte for byte (skipArchive), served as application/zip.
    expect(await sha256Of(stored?.blobFile as string)).toBe(big.sha256)
    expect(stored?.mimeType).toBe('application/zip')
    const days = (Date.parse(stored?.expiresAt as string) - Date.now()) / 86400_000
    expect(days).toBeGreaterThan(8.9)
    expect(days).toBeLessThanOrEqual(9)
    // Three 8 MiB blocks, the first held back by the emulator: they were stored out of order and joined by the list.
    const commit = emu.blockCommits().pop()
    expect(commit?.listed).toHaveLength(3)
    expect(commit?.stored).not.toEqual(commit?.listed)
    expect([...(commit?.stored ?? [])].sort()).toEqual([...(commit?.listed ?? [])].sort())
    // The local staging copy is consumed.
    expect((await readdir(tmp)).filter(n => n.startsWith('xlr-artifact-'))).toEqual([])
  })

  test('finds it by exact name in this run (with or without .zip) and downloads the same bytes, owner-only', async () => {
    const store = await storage.createStorage(settings(), logger)
    const found = await store.find({ name: 'xlr-backup-big-20261127T120000Z' }, logger)
    expect(found).toMatchObject({ name: bigName, artifactId: big.published.artifactId, sha256: big.sha256 })
    expect(found.workflowRunId).toBeUndefined()
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const file = await store.fetch(found, dest, logger)
    expect(file).toBe(path.join(dest, bigName))
    expect(await sha256Of(file)).toBe(big.sha256)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    // The client was told not to unzip: application/zip content came back as the raw file, and nothing else is left.
    expect(await readdir(dest)).toEqual([bigName])
  })

  test('a download without a file name from the server still lands under the backup name', async () => {
    emu.setContentDisposition(false)
    try {
      const store = await storage.createStorage(settings(), logger)
      const found = await store.find({ name: bigName }, logger)
      const dest = await mkdtemp(path.join(tmp, 'fetch-'))
      const file = await store.fetch(found, dest, logger)
      expect(path.basename(file)).toBe(bigName)
      expect(await sha256Of(file)).toBe(big.sha256)
    } finally {
      emu.setContentDisposition(true)
    }
  })

  test('a second upload under the same name in the same run is refused clearly', async () => {
    await expect(backup(bigName, 10)).rejects.toThrow(/already exists in this run: give the backup another 'name'/)
  })

  describe('across runs', () => {
    const sums: Record<string, string> = {}
    let nightlyRuns: number[] = []

    beforeAll(async () => {
      // Three nightly runs of host A, one of host B in between, and an expired one of host A (newest of all).
      nightlyRuns = []
      for (const [name, size] of [
        ['xlr-backup-prod-a-20261124T020000Z.zip', 3000],
        ['xlr-backup-prod-b-20261125T020000Z.zip', 3100],
        ['xlr-backup-prod-a-20261126T020000Z.zip', 3200],
        ['xlr-backup-prod-a-20261127T020000Z.zip', 3300]
      ] as const) {
        const run = emu.newRun()
        nightlyRuns.push(run.runId)
        enterRun(run.env)
        sums[name] = (await backup(name, size)).sha256
      }
      expect(emu.artifacts().find(a => a.name === 'xlr-backup-prod-a-20261124T020000Z.zip')?.expiresAt).toBeNull()
      emu.expire('xlr-backup-prod-a-20261127T020000Z.zip')
      // The restore drill runs in a later run of its own.
      enterRun(emu.newRun().env)
    })

    test('newest by prefix across the repository skips expired artifacts and downloads from the other run', async () => {
      const store = await storage.createStorage(settings({ githubToken: emu.token }), logger)
      const found = await store.find({ prefix: 'xlr-backup-prod-a-' }, logger)
      expect(found.name).toBe('xlr-backup-prod-a-20261126T020000Z.zip')
      expect(found.workflowRunId).toBe(nightlyRuns[2])
      const dest = await mkdtemp(path.join(tmp, 'fetch-'))
      const file = await store.fetch(found, dest, logger)
      expect(await sha256Of(file)).toBe(sums['xlr-backup-prod-a-20261126T020000Z.zip'])
      // A shared prefix takes the newest of any host.
      expect((await store.find({ prefix: 'xlr-backup-prod-' }, logger)).name).toBe(
        'xlr-backup-prod-a-20261126T020000Z.zip'
      )
    })

    // [test, the run-id input (an index into nightlyRuns) or none, the name asked for, the run it is found in, file]
    test.each([
      [
        'exact name in another run (run-id) downloads the same bytes',
        1,
        'xlr-backup-prod-b-20261125T020000Z',
        1,
        'xlr-backup-prod-b-20261125T020000Z.zip'
      ],
      [
        'exact name without run-id falls back to the repository when the token allows',
        null,
        'xlr-backup-prod-a-20261124T020000Z.zip',
        0,
        'xlr-backup-prod-a-20261124T020000Z.zip'
      ]
    ])('%s', async (_title, runIdOf, name, foundIn, file) => {
      const runId = runIdOf === null ? {} : { runId: nightlyRuns[runIdOf] }
      const store = await storage.createStorage(settings({ githubToken: emu.token, ...runId }), logger)
      const found = await store.find({ name }, logger)
      expect(found.workflowRunId).toBe(nightlyRuns[foundIn])
      const dest = await mkdtemp(path.join(tmp, 'fetch-'))
      expect(await sha256Of(await store.fetch(found, dest, logger))).toBe(sums[file])
    })

    test('an expired artifact is reported as expired, by name in its run and by prefix', async () => {
      const inRun = await storage.createStorage(settings({ githubToken: emu.token, runId: nightlyRuns[3] }), logger)
      await expect(inRun.find({ name: 'xlr-backup-prod-a-20261127T020000Z.zip' }, logger)).rejects.toThrow(
        /has expired/
      )
      const repo = await storage.createStorage(settings({ githubToken: emu.token }), logger)
      await expect(repo.find({ prefix: 'xlr-backup-prod-a-20261127' }, logger)).rejects.toThrow(
        /has expired.*retention-days/
      )
    })

    test('the same name in several runs is ambiguous without run-id', async () => {
      for (let i = 0; i < 2; i++) {
        enterRun(emu.newRun().env)
        await backup('xlr-backup-fixed.zip', 100 + i)
      }
      enterRun(emu.newRun().env)
      const store = await storage.createStorage(settings({ githubToken: emu.token }), logger)
      const error = (await store.find({ name: 'xlr-backup-fixed' }, logger).catch(e => e)) as Error
      expect(error).toBeInstanceOf(StorageError)
      expect(error.message).toMatch(/Several artifacts in octo-org\/xlr-backups match name 'xlr-backup-fixed'.*run-id/)
    })

    test('none found says what was searched', async () => {
      const store = await storage.createStorage(settings({ githubToken: emu.token }), logger)
      await expect(store.find({ prefix: 'xlr-backup-staging-' }, logger)).rejects.toThrow(
        /No artifact found: looked for the newest backup whose name starts with 'xlr-backup-staging-' among the \d+ newest artifact\(s\) of octo-org\/xlr-backups/
      )
      const noToken = await storage.createStorage(settings(), logger)
      await expect(noToken.find({ name: 'nope' }, logger)).rejects.toThrow(
        /looked for a backup named 'nope'.*in this run's 0 artifact\(s\).*github-token/
      )
      const otherRun = await storage.createStorage(settings({ githubToken: emu.token, runId: nightlyRuns[0] }), logger)
      await expect(otherRun.find({ name: 'nope' }, logger)).rejects.toThrow(
        new RegExp(
          `in run ${nightlyRuns[0]} of octo-org/xlr-backups \\(1 artifact\\(s\\): 'xlr-backup-prod-a-20261124T020000Z.zip'\\)`
        )
      )
    })
  })

  test('a tampered blob fails the fetch with an IntegrityError and leaves no file', async () => {
    enterRun(emu.env)
    const name = 'xlr-backup-tampered.zip'
    await backup(name, 50_000)
    await emu.tamper(name)
    const store = await storage.createStorage(settings(), logger)
    const found = await store.find({ name }, logger)
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const error = (await store.fetch(found, dest, logger).catch(e => e)) as Error
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/does not match its digest/)
    expect(await readdir(dest)).toEqual([])
  })
})

describe('artifact storage refuses bad input before any work', () => {
  test('a name with a forbidden character names the input', async () => {
    const store = await storage.createStorage(settings(), logger)
    for (const bad of ['nightly:1.zip', 'a/b.zip', 'what?.zip', 'x\\y.zip', 'line\nbreak']) {
      const error = (await store.stagingPath(bad).catch(e => e)) as InputError
      expect(error).toBeInstanceOf(InputError)
      expect(error.input).toBe('name')
      expect(error.message).toMatch(/artifact names may not contain/)
    }
  })

  test('another run without a token', async () => {
    const error = (await storage.createStorage(settings({ runId: 1234 }), logger).catch(e => e)) as InputError
    expect(error).toBeInstanceOf(InputError)
    expect(error.input).toBe('github-token')
    expect(error.message).toMatch(/'run-id: 1234'.*actions: read/)
  })

  test('the newest by prefix without a token', async () => {
    const store = await storage.createStorage(settings(), logger)
    await expect(store.find({ prefix: 'xlr-backup-' }, logger)).rejects.toMatchObject({ input: 'github-token' })
  })

  test('GitHub Enterprise Server points to directory or cache storage', async () => {
    const error = (await storage
      .createStorage(settings(), logger, { ...process.env, GITHUB_SERVER_URL: 'https://github.example.corp' })
      .catch(e => e)) as Error
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toMatch(
      /GitHub Enterprise Server \(https:\/\/github.example.corp\).*'storage: directory'.*'storage: cache'/
    )
    for (const ok of ['https://github.com', 'https://octo.ghe.com', 'http://github.localhost']) {
      await expect(
        storage.createStorage(settings(), logger, { ...process.env, GITHUB_SERVER_URL: ok })
      ).resolves.toBeDefined()
    }
  })

  test('a token without actions: read gets a 403 that says so', async () => {
    const forbidden = 'ghs_no_actions_read'
    const emu2 = await startArtifactEmulator({ forbiddenTokens: [forbidden] })
    try {
      const store = await storage.createStorage(settings({ githubToken: forbidden }), logger, {
        ...process.env,
        GITHUB_API_URL: emu2.url,
        GITHUB_REPOSITORY: emu2.repository
      })
      const error = (await store.find({ prefix: 'x' }, logger).catch(e => e)) as Error
      expect(error).toBeInstanceOf(StorageError)
      expect(error.message).toMatch(/HTTP 403.*lacks 'actions: read'/)
    } finally {
      await emu2.close()
    }
  })

  test('outside a job, publishing says the runtime token is missing', async () => {
    const env = { ...process.env }
    delete env.ACTIONS_RUNTIME_TOKEN
    const store = await storage.createStorage(settings(), logger, env)
    const staged = await store.stagingPath('x.zip')
    await expect(store.publish(staged, 'x.zip', logger)).rejects.toThrow(
      /ACTIONS_RUNTIME_TOKEN is not set.*storage: directory/
    )
    await store.discard(staged)
  })
})
