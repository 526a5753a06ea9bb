/**
 * Round trips through the real core with 'storage: s3' (s3rver, and Ceph's radosgw with Object Lock and
 * 'immutable-days') and 'storage: azure' (Azurite): a home with its repository in PostgreSQL is backed up (in several
 * parts or blocks) with runJob, changed, and restored by 'name-prefix' — the tree and the database come back exactly
 * as backed up.
 */
import { unlink, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { CreateBucketCommand, GetObjectRetentionCommand, S3Client } from '@aws-sdk/client-s3'
import { BlobServiceClient } from '@azure/storage-blob'
import { Input, Output } from '../../../src/settings/inputs.js'
import { pgAdmin } from '../../support/database-fixtures.js'
import { restoreEnvironmentAfterAll } from '../../support/env.js'
import { checksums, homeState, run, useDbHome } from '../../support/e2e-restore.js'
import { startAzurite, startS3rver, type ObjectServer } from '../../support/object-servers.js'
import { startRadosgw } from '../../support/radosgw.js'

const BUCKET = 'xlr-roundtrip'

type Kind = 's3' | 'azure' | 'rgw'

const servers: Record<Kind, () => Promise<ObjectServer>> = {
  s3: async () => await startS3rver([BUCKET]),
  rgw: async () => {
    const server = await startRadosgw()
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.env.AWS_ACCESS_KEY_ID, secretAccessKey: server.env.AWS_SECRET_ACCESS_KEY }
    })
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }))
    s3.destroy()
    return server
  },
  azure: async () => {
    const server = await startAzurite()
    await BlobServiceClient.fromConnectionString(server.env.AZURE_STORAGE_CONNECTION_STRING)
      .getContainerClient(BUCKET)
      .create()
    return server
  }
}

restoreEnvironmentAfterAll()

describe.each(['s3', 'azure', 'rgw'] as const)('storage: %s through runJob', (kind: Kind) => {
  const fx = useDbHome(`xlr-obj-rt-${kind}-`, `rt-${kind}-1`)
  let server: ObjectServer

  beforeAll(async () => {
    server = await servers[kind]()
    // Small parts: this small backup goes up in several of them, as a large one would (radosgw, like AWS, takes no
    // part below 5 MiB but the last).
    Object.assign(process.env, server.env, {
      XLR_BACKUP_TEST_PART_BYTES: String(kind === 'rgw' ? 5 * 1024 * 1024 : 64 * 1024)
    })
  })

  afterAll(async () => {
    delete process.env.XLR_BACKUP_TEST_PART_BYTES
    await server?.stop()
  })

  const store = (): Record<string, string> => ({
    [Input.Storage]: kind === 'rgw' ? 's3' : kind,
    ...(kind === 'rgw' ? { [Input.ImmutableDays]: '1' } : {}),
    [Input.Bucket]: BUCKET,
    [Input.Endpoint]: server.endpoint,
    [Input.ForcePathStyle]: 'true',
    [Input.Path]: 'nightly'
  })

  test('backup, then restore by name-prefix: the home and the database are as backed up', async () => {
    const original = await homeState(fx.home)
    const originalSums = await checksums('postgresql', fx.repoDb)
    const { result: made } = await run(fx.inputs({ ...store(), [Input.Mode]: 'backup' }))
    const key = `nightly/rt-${kind}-1.zip`
    expect(made.outputs[Output.ObjectUrl]).toBe(
      kind === 'azure' ? `${server.endpoint}/${BUCKET}/${key}` : `s3://${BUCKET}/${key}`
    )
    if (kind === 'rgw') {
      const s3 = new S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true })
      const { Retention } = await s3.send(new GetObjectRetentionCommand({ Bucket: BUCKET, Key: key }))
      s3.destroy()
      expect(Retention?.Mode).toBe('GOVERNANCE')
    }

    await writeFile(path.join(fx.home, 'conf/xl-release.conf'), '# changed after the backup\n')
    await unlink(path.join(fx.home, 'plugins/__local__/acme-notifier-0.9.xldp'))
    pgAdmin(`UPDATE xlr_releases SET title = 'lost';`, fx.pg.database)
    expect(await homeState(fx.home)).not.toEqual(original)

    const { logger } = await run(
      fx.inputs({ ...store(), [Input.Mode]: 'restore', [Input.Name]: '', [Input.NamePrefix]: `rt-${kind}-` })
    )
    expect(logger.messages().join('\n')).toMatch(
      new RegExp(`Newest backup starting with 'rt-${kind}-'.*rt-${kind}-1\\.zip`)
    )
    expect(await homeState(fx.home)).toEqual(original)
    expect(await checksums('postgresql', fx.repoDb)).toEqual(originalSums)
  })
})
