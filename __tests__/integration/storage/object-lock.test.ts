/**
 * Immutable copies on a real S3 server that enforces Object Lock: Ceph's radosgw (s3rver has no Object Lock). The
 * s3 storage's preflight, publish and the rotation of 'mode: prune' run as the action runs them; the retention is
 * read back with the SDK, and a delete of the locked version is seen refused by the server itself.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { sha256File } from '../../support/hash.js'
import { restoreEnvironmentAfterAll } from '../../support/env.js'
import type { ObjectServer } from '../../support/object-servers.js'
import { startRadosgw } from '../../support/radosgw.js'
import { run } from '../../support/run-job.js'
import { storageSettings } from '../../support/storage-fixtures.js'
import { Input } from '../../../src/settings/inputs.js'
import type { StorageSettings } from '../../../src/settings/settings.js'
import { StorageError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { createStorage, type BackupStorage } from '../../../src/storage/index.js'

const LOCKED = 'xlr-locked'
const PLAIN = 'xlr-plain'
const DAY_MS = 86_400_000

let server: ObjectServer
let s3: S3Client
const logger = new MemoryLogger()

restoreEnvironmentAfterAll()

beforeAll(async () => {
  server = await startRadosgw()
  Object.assign(process.env, server.env)
  s3 = new S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true })
  await s3.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }))
  await s3.send(new CreateBucketCommand({ Bucket: PLAIN }))
})

afterAll(async () => {
  s3?.destroy()
  await server?.stop()
})

function settings(over: Partial<StorageSettings>): StorageSettings {
  return storageSettings('s3', {
    bucket: LOCKED,
    endpoint: server.endpoint,
    forcePathStyle: true,
    path: 'locked',
    threads: 2,
    ...over
  })
}

async function store(over: Partial<StorageSettings>): Promise<BackupStorage> {
  // Parts of 5 MiB, the smallest S3 allows: the 6 MiB backups below go up as multipart uploads.
  return await createStorage(settings(over), logger, { ...process.env, XLR_BACKUP_TEST_PART_BYTES: String(5 << 20) })
}

/** Stores a backup of `size` random bytes, dated `createdAt`, through preflight and publish as a backup run does. */
async function backup(storage: BackupStorage, name: string, createdAt: string, size = 6 << 20): Promise<void> {
  await storage.preflight!(logger)
  const staged = await storage.stagingPath(name)
  await writeFile(staged, randomBytes(size))
  const sha256 = await sha256File(staged)
  await storage.publish(staged, name, logger, { sha256, size, createdAt }, 'signature\n')
}

const prune = (prefix: string, path: string): Record<string, string> => ({
  [Input.Mode]: 'prune',
  [Input.Storage]: 's3',
  [Input.Bucket]: LOCKED,
  [Input.Endpoint]: server.endpoint,
  [Input.ForcePathStyle]: 'true',
  [Input.Path]: path,
  [Input.NamePrefix]: prefix,
  [Input.KeepLast]: '1'
})

describe.each(['governance', 'compliance'] as const)('immutable-mode: %s', mode => {
  const prefix = `xlr-${mode}-`
  const dir = `locked-${mode}`

  test('immutable-days: 1 stores the backup and its signature under that retention; the server refuses their deletion', async () => {
    const before = Date.now()
    const storage = await store({ path: dir, immutableDays: 1, immutableMode: mode })
    await backup(storage, `${prefix}1.zip`, '2026-05-01T00:00:00.000Z')
    const after = Date.now()
    for (const key of [`${dir}/${prefix}1.zip`, `${dir}/${prefix}1.zip.sig`]) {
      const { Retention } = await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: key }))
      expect(Retention?.Mode).toBe(mode.toUpperCase())
      const until = Retention!.RetainUntilDate!.getTime()
      // One day from the moment the backup was stored (S3 keeps the date to the second).
      expect(until).toBeGreaterThanOrEqual(before + DAY_MS - 1000)
      expect(until).toBeLessThanOrEqual(after + DAY_MS + 1000)
      const { VersionId } = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: key }))
      await expect(s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: key, VersionId }))).rejects.toThrow(
        /object lock/i
      )
    }
  })

  test('the rotation skips a locked backup with a note, not an error, and it survives', async () => {
    const storage = await store({ path: dir, immutableDays: 1, immutableMode: mode })
    await backup(storage, `${prefix}2.zip`, '2026-05-02T00:00:00.000Z')
    const { result, logger: log } = await run(prune(prefix, dir))
    expect(result.summary.facts).toContainEqual(['Locked, skipped', '1'])
    expect(result.summary.notes.join('\n')).toMatch(
      new RegExp(`Not deleted: '${prefix}1\\.zip' is under a lock \\(retention or immutability\\)`)
    )
    expect(log.messages().join('\n')).not.toMatch(/error/i)
    const listed = await (await store({ path: dir })).list!(prefix, logger)
    expect(listed.map(b => b.name).sort()).toEqual([`${prefix}1.zip`, `${prefix}2.zip`])
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: `${dir}/${prefix}1.zip` }))
    expect(head.ObjectLockMode).toBe(mode.toUpperCase())
  })
})

test('in a versioned (Object Lock) bucket the rotation deletes an unlocked backup for good, not behind a delete marker', async () => {
  const storage = await store({ path: 'unlocked' })
  await backup(storage, 'xlr-open-1.zip', '2026-06-01T00:00:00.000Z', 100)
  await backup(storage, 'xlr-open-2.zip', '2026-06-02T00:00:00.000Z', 100)
  const { result } = await run(prune('xlr-open-', 'unlocked'))
  expect(result.summary.facts).toContainEqual(['Deleted', '1'])
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: 'unlocked/xlr-open-1' }))
  expect(versions.Versions ?? []).toEqual([])
  expect(versions.DeleteMarkers ?? []).toEqual([])
  const left = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: 'unlocked/xlr-open-2' }))
  expect((left.Versions ?? []).map(v => v.Key).sort()).toEqual([
    'unlocked/xlr-open-2.zip',
    'unlocked/xlr-open-2.zip.sig'
  ])
})

test('a bucket without Object Lock is refused by the preflight, naming the input, the bucket and the fix', async () => {
  const refused = await (await store({ bucket: PLAIN, immutableDays: 1 })).preflight!(logger).catch((e: Error) => e)
  expect(refused).toBeInstanceOf(StorageError)
  expect((refused as Error).message).toMatch(
    /Input 'immutable-days' asks for immutable backups, but bucket 'xlr-plain' has no Object Lock/
  )
  expect((refused as Error).message).toMatch(/--object-lock-enabled-for-bucket\), or remove 'immutable-days'/)
  // The same bucket without 'immutable-days' passes: the refusal is the lock's, not the bucket's.
  await expect((await store({ bucket: PLAIN })).preflight!(logger)).resolves.toBeUndefined()
  // The preflight left nothing behind: its probe is an upload begun and aborted.
  await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: 'marker', Body: 'x' }))
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: PLAIN }))
  expect((versions.Versions ?? []).map(v => v.Key)).toEqual(['marker'])
})
