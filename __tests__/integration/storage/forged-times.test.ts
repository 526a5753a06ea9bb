/**
 * Someone who can only add files to a store plants backups dated years ahead: the time they claim is theirs to
 * write (object metadata, a file's mtime). Were it believed, the rotation would count its periods back from the
 * forged backups and delete the real ones, and the 'max-age' alarm would never ring again. Against each real store
 * (a folder, s3rver, Azurite), through the whole core: the forged backups are kept and named, the real ones are
 * judged among themselves, and the alarm still rings.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { BlobServiceClient } from '@azure/storage-blob'
import { checkBackupAge } from '../../../src/commands/verify/freshness.js'
import { Input } from '../../../src/settings/inputs.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { createStorage, type BackupStorage } from '../../../src/storage/index.js'
import { restoreEnvironmentAfterAll } from '../../support/env.js'
import { startAzurite, startS3rver, type ObjectServer } from '../../support/object-servers.js'
import { rotationRows } from '../../support/rotation-calendar.js'
import { run, type Inputs } from '../../support/run-job.js'
import { storageSettings } from '../../support/storage-fixtures.js'

const BUCKET = 'forged-times'
const HOUR = 3600_000
const now = Date.now()
/** Three real nightly backups, the newest 30 hours old: an alarm at 26h must ring. */
const REAL: [string, number][] = [
  ['nightly-1.zip', now - 78 * HOUR],
  ['nightly-2.zip', now - 54 * HOUR],
  ['nightly-3.zip', now - 30 * HOUR]
]
const FORGED: [string, number][] = [
  ['nightly-x.zip', Date.parse('2031-01-01T02:00:00Z')],
  ['nightly-y.zip', Date.parse('2031-01-02T02:00:00Z')]
]

interface Store {
  kind: 'directory' | 's3' | 'azure'
  /** The inputs that point a job at the store. */
  inputs: Inputs
  /** Stores a backup claiming `time` the way a writer without the action could. */
  plant(name: string, time: number): Promise<void>
  stop(): Promise<void>
}

async function directoryStore(): Promise<Store> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'forged-times-'))
  return {
    kind: 'directory',
    inputs: { [Input.Storage]: 'directory', [Input.Path]: folder },
    async plant(name, time) {
      await writeFile(path.join(folder, name), `backup ${name}\n`)
      // 'touch -d': the mtime is the writer's to choose; the ctime the kernel sets now is not.
      await utimes(path.join(folder, name), new Date(time), new Date(time))
    },
    stop: async () => await rm(folder, { recursive: true, force: true })
  }
}

async function objectStore(kind: 's3' | 'azure'): Promise<Store> {
  const server: ObjectServer = kind === 's3' ? await startS3rver([BUCKET]) : await startAzurite()
  Object.assign(process.env, server.env)
  if (kind === 'azure') {
    await BlobServiceClient.fromConnectionString(server.env.AZURE_STORAGE_CONNECTION_STRING)
      .getContainerClient(BUCKET)
      .create()
  }
  const settings = storageSettings(kind, { bucket: BUCKET, endpoint: server.endpoint, forcePathStyle: true })
  const logger = new MemoryLogger()
  return {
    kind,
    inputs: {
      [Input.Storage]: kind,
      [Input.Bucket]: BUCKET,
      [Input.Endpoint]: server.endpoint,
      [Input.ForcePathStyle]: 'true'
    },
    // The metadata a writer with put rights sets on its object, here through the action's own publish.
    async plant(name, time) {
      const storage = await createStorage(settings, logger, process.env)
      const staged = await storage.stagingPath(name)
      const body = `backup ${name}\n`
      await writeFile(staged, body)
      await storage.publish(staged, name, logger, {
        sha256: '0'.repeat(64),
        size: body.length,
        createdAt: new Date(time).toISOString()
      })
    },
    stop: async () => await server.stop()
  }
}

restoreEnvironmentAfterAll()

describe.each([
  ['directory', directoryStore],
  ['s3', async () => await objectStore('s3')],
  ['azure', async () => await objectStore('azure')]
] as const)('storage: %s', (_kind, open) => {
  let store: Store

  beforeAll(async () => {
    store = await open()
    for (const [name, time] of [...REAL, ...FORGED]) await store.plant(name, time)
  })

  afterAll(async () => {
    await store?.stop()
  })

  async function storage(): Promise<BackupStorage> {
    const settings = storageSettings(store.kind, {
      path: store.inputs[Input.Path] ?? '',
      bucket: store.inputs[Input.Bucket] ?? '',
      endpoint: store.inputs[Input.Endpoint] ?? '',
      forcePathStyle: store.kind !== 'directory'
    })
    return await createStorage(settings, new MemoryLogger(), process.env)
  }

  test('the listing tells the claimed time from the time the store received the backup', async () => {
    const listed = await (await storage()).list('nightly-', new MemoryLogger())
    const forged = listed.find(b => b.name === 'nightly-x.zip')
    expect(forged?.createdAt).toBe('2031-01-01T02:00:00.000Z')
    expect(Date.parse(forged?.storedAt ?? '')).toBeLessThanOrEqual(Date.now())
  })

  test("the 'max-age' alarm rings: the forged backups are left out and named", async () => {
    const logger = new MemoryLogger()
    const age = await checkBackupAge(await storage(), 'nightly-', 26 * 3600, logger)
    expect(age.name).toBe('nightly-3.zip')
    expect(age.tooOld).toMatch(/'nightly-3.zip'.*30h \d+m old, older than 'max-age'/)
    expect(logger.messages('warning').join('\n')).toMatch(
      /leaves out 'nightly-x.zip': it claims 2031-01-01T02:00:00.000Z, a time in the future/
    )
  })

  test('prune keeps the forged backups out of the rules: the real ones are judged alone', async () => {
    const { result } = await run({
      ...store.inputs,
      [Input.Mode]: 'prune',
      [Input.NamePrefix]: 'nightly-',
      [Input.KeepLast]: '2'
    })
    expect(rotationRows(result)).toEqual([
      ['nightly-3.zip', 'keep', 'keep-last'],
      ['nightly-2.zip', 'keep', 'keep-last'],
      ['nightly-x.zip', 'keep', 'dated in the future'],
      ['nightly-y.zip', 'keep', 'dated in the future'],
      ['nightly-1.zip', 'deleted', 'no rule keeps it']
    ])
    expect(result.summary.notes.join('\n')).toMatch(/Kept 'nightly-y.zip' out of the rotation: it claims 2031/)
    const left = (await (await storage()).list('nightly-', new MemoryLogger())).map(b => b.name).sort()
    expect(left).toEqual(['nightly-2.zip', 'nightly-3.zip', 'nightly-x.zip', 'nightly-y.zip'])
  })
})
