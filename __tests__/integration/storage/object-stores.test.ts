/**
 * The s3 and azure backends through the real SDKs against real servers started here as separate processes: s3rver
 * and Ceph's radosgw (S3 API) and Azurite (Microsoft's Azure Storage emulator). Same tests for all: multipart round
 * trip, newest by the backup's own time, list and remove, companions, a damaged stored object refused, never
 * overwriting, and the preflight's errors for a wrong bucket, credentials, endpoint and an immutability the bucket
 * cannot give. radosgw keeps its objects in the memory of its OSD, so the tests that reach into a server's files
 * (a flipped byte, a killed upload seen midway) run on the other two.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { BlobServiceClient } from '@azure/storage-blob'
import { freePort } from '../../support/net.js'
import { sha256File } from '../../support/hash.js'
import { restoreEnvironmentAfterAll } from '../../support/env.js'
import { startAzurite, startS3rver, type ObjectServer, s3Client } from '../../support/object-servers.js'
import { startRadosgw } from '../../support/radosgw.js'
import { storageSettings } from '../../support/storage-fixtures.js'
import { IntegrityError, StorageError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import type { StorageSettings } from '../../../src/settings/settings.js'
import { createStorage, type BackupStorage } from '../../../src/storage/index.js'

const BUCKET = 'xlr-backups'
const tsx = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/cli.mjs')
const MIB = 1024 * 1024

interface Case {
  name: string
  kind: 's3' | 'azure'
  start: () => Promise<ObjectServer>
  /** The part size of the tests' uploads: the smallest the service allows (S3: 5 MiB but the last). */
  partBytes: number
  /** Bytes of the stored object `key` in the server's data folder (where a test damages it); null: not in files. */
  storedFile: ((server: ObjectServer, key: string) => Promise<string>) | null
  /** How many parts (blocks) the stored object was uploaded in. */
  parts: (server: ObjectServer, key: string) => Promise<number>
}

const cases: Case[] = [
  {
    name: 's3rver',
    kind: 's3',
    start: async () => await startS3rver([BUCKET]),
    partBytes: 5 * MIB,
    storedFile: async (server, key) => path.join(server.dataDir, BUCKET, `${key}._S3rver_object`),
    parts: async server => new Set(server.output().match(/Stored part \d+ of \w+/g)).size
  },
  {
    name: 'radosgw',
    kind: 's3',
    start: async () => {
      const server = await startRadosgw()
      const s3 = s3Client(server)
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
      s3.destroy()
      return server
    },
    partBytes: 5 * MIB,
    storedFile: null,
    // The ETag of an object uploaded in parts ends with '-<number of parts>' (AWS and radosgw alike).
    parts: async (server, key) => {
      const s3 = s3Client(server)
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
      s3.destroy()
      return Number(/-(\d+)"?$/.exec(head.ETag ?? '')?.[1] ?? 1)
    }
  },
  {
    name: 'azurite',
    kind: 'azure',
    partBytes: MIB,
    start: async () => {
      const server = await startAzurite()
      const service = BlobServiceClient.fromConnectionString(server.env.AZURE_STORAGE_CONNECTION_STRING)
      await service.getContainerClient(BUCKET).create()
      return server
    },
    // Azurite keeps blob bytes in extent files; the backup is the only large one.
    storedFile: async server => {
      const dir = path.join(server.dataDir, '__blobstorage__')
      const files = await Promise.all(
        (await readdir(dir)).map(async f => ({ f, size: (await stat(path.join(dir, f))).size }))
      )
      return path.join(dir, files.sort((a, b) => b.size - a.size)[0].f)
    },
    parts: async (server, key) => {
      const service = BlobServiceClient.fromConnectionString(server.env.AZURE_STORAGE_CONNECTION_STRING)
      const list = await service.getContainerClient(BUCKET).getBlockBlobClient(key).getBlockList('committed')
      return list.committedBlocks?.length ?? 0
    }
  }
]

restoreEnvironmentAfterAll()

describe.each(cases)('storage: $kind on $name', ({ kind, start, partBytes, storedFile, parts }) => {
  let server: ObjectServer
  let tmp: string
  const logger = new MemoryLogger()

  function settings(over: Partial<StorageSettings> = {}): StorageSettings {
    return storageSettings(kind, {
      bucket: BUCKET,
      endpoint: server.endpoint,
      forcePathStyle: true,
      path: 'xlr/prod',
      threads: 2,
      ...over
    })
  }

  async function store(over: Partial<StorageSettings> = {}): Promise<BackupStorage> {
    return await createStorage(settings(over), logger, {
      ...process.env,
      XLR_BACKUP_TEST_PART_BYTES: String(partBytes)
    })
  }

  /** `work` with `vars` in process.env, which the SDKs' credential chains read. */
  async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
    const saved = { ...process.env }
    Object.assign(process.env, vars)
    try {
      return await work()
    } finally {
      process.env = saved
    }
  }

  async function backup(
    name: string,
    size: number,
    extra: { createdAt?: string; signature?: string } = {}
  ): Promise<{ sha256: string; file: string }> {
    const storage = await store()
    const staged = await storage.stagingPath(name)
    await writeFile(staged, randomBytes(size))
    const copy = path.join(tmp, `${name}.copy`)
    await writeFile(copy, await readFile(staged))
    const sha256 = await sha256File(staged)
    const published = await storage.publish(
      staged,
      name,
      logger,
      { sha256, size, ...(extra.createdAt ? { createdAt: extra.createdAt } : {}) },
      extra.signature
    )
    expect(published).toMatchObject({ name, size, sha256 })
    await expect(stat(staged)).rejects.toThrow(/ENOENT/)
    return { sha256, file: copy }
  }

  beforeAll(async () => {
    server = await start()
    Object.assign(process.env, server.env)
    tmp = await mkdtemp(path.join(os.tmpdir(), `storage-${kind}-`))
  })

  afterAll(async () => {
    await server?.stop()
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })

  test('a backup of several parts goes up and comes back byte for byte, its digest checked on the way', async () => {
    const size = 2 * partBytes + MIB + 3
    const { sha256 } = await backup('xlr-backup-a-1.zip', size, { signature: 'signed statement\n' })
    expect(await parts(server, 'xlr/prod/xlr-backup-a-1.zip')).toBeGreaterThanOrEqual(3)
    const storage = await store()
    await storage.preflight?.(logger)
    const found = await storage.find({ name: 'xlr-backup-a-1' }, logger)
    expect(found).toMatchObject({ name: 'xlr-backup-a-1.zip', ref: 'xlr/prod/xlr-backup-a-1.zip', sha256 })
    expect(await storage.fetchSignature(found, tmp, logger)).toBe('signed statement\n')
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const file = await storage.fetch(found, dest, logger)
    expect(await sha256File(file)).toBe(sha256)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const mib = (size / MIB).toFixed(1)
    expect(logger.messages().join('\n')).toContain(`Downloaded xlr-backup-a-1.zip: ${mib} MiB of ${mib} MiB (100.0%)`)
  })

  test('a name is never stored twice', async () => {
    await backup('xlr-backup-b-1.zip', 100)
    await expect(backup('xlr-backup-b-1.zip', 100)).rejects.toThrow(/already exists and is never overwritten/)
  })

  test('name-prefix takes the newest by the backup’s own time, not by upload order', async () => {
    await backup('xlr-backup-c-2.zip', 10, { createdAt: '2026-03-02T00:00:00.000Z' })
    await backup('xlr-backup-c-1.zip', 10, { createdAt: '2026-03-01T00:00:00.000Z' })
    const storage = await store()
    const newest = await storage.find({ prefix: 'xlr-backup-c-' }, logger)
    expect(newest).toMatchObject({ name: 'xlr-backup-c-2.zip', createdAt: '2026-03-02T00:00:00.000Z' })
    await expect(storage.find({ prefix: 'xlr-backup-zz-' }, logger)).rejects.toThrow(StorageError)
  })

  test('list gives every backup under a prefix with its time; remove deletes it and its signature', async () => {
    await backup('xlr-backup-d-1.zip', 10, { createdAt: '2026-04-01T00:00:00.000Z', signature: 'sig\n' })
    await backup('xlr-backup-d-2.zip', 10, { createdAt: '2026-04-02T00:00:00.000Z' })
    const storage = await store()
    const listed = await storage.list!('xlr-backup-d-', logger)
    expect(listed.map(f => [f.name, f.createdAt]).sort()).toEqual([
      ['xlr-backup-d-1.zip', '2026-04-01T00:00:00.000Z'],
      ['xlr-backup-d-2.zip', '2026-04-02T00:00:00.000Z']
    ])
    expect(
      await storage.remove!(
        listed.find(f => f.name === 'xlr-backup-d-1.zip')!,
        logger
      )
    ).toBe('deleted')
    expect((await storage.list!('xlr-backup-d-', logger)).map(f => f.name)).toEqual(['xlr-backup-d-2.zip'])
    await expect(storage.find({ name: 'xlr-backup-d-1' }, logger)).rejects.toThrow(/No backup found/)
    const again = await store()
    expect(await again.fetchSignature({ ...listed[0], ref: 'xlr/prod/xlr-backup-d-1.zip' }, tmp, logger)).toBeNull()
  })

  const inFiles = storedFile ? test : test.skip

  inFiles('a flipped byte in the stored object is refused, and nothing of the download is left', async () => {
    await rm(path.join(tmp, 'flip'), { recursive: true, force: true })
    const fresh = await start()
    try {
      Object.assign(process.env, fresh.env)
      const flipStore = async (): Promise<BackupStorage> =>
        await createStorage(settings({ endpoint: fresh.endpoint }), logger, process.env)
      const storage = await flipStore()
      const staged = await storage.stagingPath('xlr-backup-e-1.zip')
      await writeFile(staged, randomBytes(2 * MIB))
      await storage.publish(staged, 'xlr-backup-e-1.zip', logger)
      const stored = await storedFile!(fresh, 'xlr/prod/xlr-backup-e-1.zip')
      const bytes = await readFile(stored)
      bytes[bytes.length >> 1] ^= 0x01
      await writeFile(stored, bytes)
      const found = await (await flipStore()).find({ prefix: 'xlr-backup-e-' }, logger)
      const dest = await mkdtemp(path.join(tmp, 'flip-'))
      await expect((await flipStore()).fetch(found, dest, logger)).rejects.toThrow(IntegrityError)
      expect(await readdir(dest)).toEqual([])
    } finally {
      Object.assign(process.env, server.env)
      await fresh.stop()
    }
  })

  inFiles('an upload killed midway leaves no backup that find or list could pick up', async () => {
    const file = path.join(tmp, 'killed-source')
    await writeFile(file, randomBytes(48 * MIB))
    const name = 'xlr-backup-killed-1.zip'
    const before = await bytesUnder(server.dataDir)
    const child = spawn(
      process.execPath,
      [tsx, 'support/object-upload-child.ts', kind, server.endpoint, BUCKET, file, name],
      {
        cwd: path.resolve('__tests__'),
        env: { ...process.env, XLR_BACKUP_TEST_PART_BYTES: String(MIB) },
        stdio: 'pipe'
      }
    )
    let printed = ''
    child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    const exited = new Promise<NodeJS.Signals | null>(resolve => child.once('exit', (_code, signal) => resolve(signal)))
    const deadline = Date.now() + 60_000
    // Midway: the server has taken at least one part, and the upload is not finished.
    while ((await bytesUnder(server.dataDir)) < before + MIB) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the upload never got midway:\n${printed}`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(printed).not.toMatch(/done/)
    const storage = await store({ path: 'xlr' })
    await expect(storage.find({ name: 'xlr-backup-killed-1' }, logger)).rejects.toThrow(/No backup found/)
    expect(await storage.list!('xlr-backup-killed', logger)).toEqual([])
  })

  test('the preflight names the input at fault: bucket, credentials, endpoint, immutable-days', async () => {
    await expect((await store({ bucket: 'no-such-bucket' })).preflight!(logger)).rejects.toThrow(
      /Input 'bucket' names no (bucket|container)/
    )
    const connection = server.env.AZURE_STORAGE_CONNECTION_STRING
    const wrongCredentials: Record<string, string> =
      kind === 's3'
        ? // s3rver checks the access key id but does not verify SigV4 signatures: an unknown key is what it can refuse.
          { AWS_ACCESS_KEY_ID: 'UNKNOWNKEY', AWS_SECRET_ACCESS_KEY: 'wrong-secret' }
        : {
            AZURE_STORAGE_CONNECTION_STRING: connection.replace(
              /AccountKey=[^;]+/,
              `AccountKey=${randomBytes(64).toString('base64')}`
            )
          }
    const refused = await withEnv(wrongCredentials, async () =>
      (await store()).preflight!(logger).catch((e: Error) => e)
    )
    expect(refused).toBeInstanceOf(StorageError)
    expect((refused as Error).message).toMatch(/credentials were refused/)
    expect((refused as Error).message).not.toMatch(/wrong-secret|AccountKey/)
    const closed = `http://127.0.0.1:${await freePort()}`
    const unreachable =
      kind === 's3'
        ? await store({ endpoint: closed })
        : await withEnv(
            {
              AZURE_STORAGE_CONNECTION_STRING: connection.replace(
                /BlobEndpoint=[^;]+/,
                `BlobEndpoint=${closed}/devstoreaccount1`
              )
            },
            async () => await store()
          )
    await expect(unreachable.preflight!(logger)).rejects.toThrow(/cannot be reached: check 'endpoint'/)
    await expect((await store({ immutableDays: 7 })).preflight!(logger)).rejects.toThrow(
      /Input 'immutable-days' asks for immutable backups, but (bucket|container) 'xlr-backups'/
    )
  })
})

/** Bytes of every file below `dir` (what a server has written so far). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name)).catch(() => null))?.size ?? 0
  }
  return total
}
