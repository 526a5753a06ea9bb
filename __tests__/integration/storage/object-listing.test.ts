/**
 * Listings longer than one page, on the real servers: S3 gives at most 1,000 keys a page (s3rver and radosgw as
 * AWS does), Azure 5,000 blobs. Small objects are put straight with the SDKs, a few real backups through publish;
 * the newest by the backup's own time sorts after the first page and was not uploaded last. `find` by name-prefix
 * must still pick it, and `list` must give every backup.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { sha256File } from '../../support/hash.js'
import { restoreEnvironmentAfterAll } from '../../support/env.js'
import { startAzurite, startS3rver, type ObjectServer, s3Client } from '../../support/object-servers.js'
import { startRadosgw } from '../../support/radosgw.js'
import { storageSettings } from '../../support/storage-fixtures.js'
import { META_CREATED_AT } from '../../../src/storage/object-client.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { createStorage, type BackupStorage } from '../../../src/storage/index.js'

const BUCKET = 'xlr-many'
const DIR = 'many'
const PREFIX = 'xlr-page-'
/** Puts at once while filling. */
const FILL_CONCURRENCY = 32

interface Case {
  name: string
  kind: 's3' | 'azure'
  start: () => Promise<ObjectServer>
  /** Objects a listing page holds at most (the service's own limit). */
  page: number
  /** Puts tiny objects `key` with the backup time `createdAt` in their metadata, straight through the SDK. */
  putter: (server: ObjectServer) => { put: (key: string, createdAt: string) => Promise<void>; close: () => void }
}

function s3Case(name: string, start: () => Promise<ObjectServer>): Case {
  return {
    name,
    kind: 's3',
    start,
    page: 1000,
    putter: server => {
      const s3 = s3Client(server)
      return {
        put: async (key, createdAt) => {
          await s3.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x', Metadata: { [META_CREATED_AT]: createdAt } })
          )
        },
        close: () => s3.destroy()
      }
    }
  }
}

function container(server: ObjectServer): ContainerClient {
  return BlobServiceClient.fromConnectionString(server.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(BUCKET)
}

const cases: Case[] = [
  s3Case('s3rver', async () => await startS3rver([BUCKET])),
  s3Case('radosgw', async () => {
    const server = await startRadosgw()
    const s3 = s3Client(server)
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
    s3.destroy()
    return server
  }),
  {
    name: 'azurite',
    kind: 'azure',
    start: async () => {
      const server = await startAzurite()
      await container(server).create()
      return server
    },
    page: 5000,
    putter: server => {
      const blobs = container(server)
      return {
        put: async (key, createdAt) => {
          await blobs.getBlockBlobClient(key).upload('x', 1, { metadata: { [META_CREATED_AT]: createdAt } })
        },
        close: () => undefined
      }
    }
  }
]

restoreEnvironmentAfterAll()

describe.each(cases)(
  '$name: a prefix with more backups than one listing page holds',
  ({ kind, start, page, putter }) => {
    let server: ObjectServer
    const logger = new MemoryLogger()
    /** Every backup name under the prefix, as list must give them. */
    const names: string[] = []

    async function store(): Promise<BackupStorage> {
      return await createStorage(
        storageSettings(kind, {
          bucket: BUCKET,
          endpoint: server.endpoint,
          forcePathStyle: true,
          path: DIR,
          threads: 2
        }),
        logger,
        process.env
      )
    }

    async function backup(name: string, createdAt: string): Promise<void> {
      const storage = await store()
      const staged = await storage.stagingPath(name)
      await writeFile(staged, randomBytes(64))
      await storage.publish(staged, name, logger, { sha256: await sha256File(staged), size: 64, createdAt })
      names.push(name)
    }

    beforeAll(async () => {
      server = await start()
      Object.assign(process.env, server.env)
      // First in key order and on the first page: older than the newest.
      await backup(`${PREFIX}0000-first.zip`, '2026-06-01T00:00:00.000Z')
      // Fillers, all older than the real backups: page + 5 of them push what follows off the first page.
      const { put, close } = putter(server)
      const fillers = Array.from({ length: page + 5 }, (_, i) => `${PREFIX}${String(i + 1).padStart(5, '0')}.zip`)
      let next = 0
      await Promise.all(
        Array.from({ length: FILL_CONCURRENCY }, async () => {
          while (next < fillers.length) {
            const i = next++
            const minutes = String(i % 60).padStart(2, '0')
            await put(
              `${DIR}/${fillers[i]}`,
              `2026-01-01T${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${minutes}:00.000Z`
            )
          }
        })
      )
      close()
      names.push(...fillers)
      // The newest by its own time, past the first page in key order...
      await backup(`${PREFIX}99999-newest.zip`, '2026-07-01T00:00:00.000Z')
      // ...and one stored after it, later in key order too, but with an older time of its own.
      await backup(`${PREFIX}99999-stored-last.zip`, '2026-06-15T00:00:00.000Z')
    })

    afterAll(async () => {
      await server?.stop()
    })

    test('find by name-prefix gives the newest by the backup’s own time, though it is not on the first page', async () => {
      const found = await (await store()).find({ prefix: PREFIX }, logger)
      expect(found).toMatchObject({ name: `${PREFIX}99999-newest.zip`, createdAt: '2026-07-01T00:00:00.000Z' })
      expect(logger.messages().join('\n')).toContain(`(of ${names.length})`)
    })

    test('list gives every backup under the prefix, each once', async () => {
      const listed = await (await store()).list!(PREFIX, logger)
      expect(listed.length).toBe(names.length)
      expect(listed.map(b => b.name).sort()).toEqual([...names].sort())
      expect(listed.find(b => b.name === `${PREFIX}00001.zip`)?.createdAt).toBe('2026-01-01T00:00:00.000Z')
    })
  }
)
