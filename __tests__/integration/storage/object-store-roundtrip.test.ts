/**
 * Round trips through the real core with 'storage: s3' (s3rver) and 'storage: azure' (Azurite): a home with its
 * repository in PostgreSQL is backed up (Azure: in several blocks) with runJob, changed, and restored by 'name-prefix' —
 * the tree and the database come back exactly as backed up.
 */
import { unlink, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { BlobServiceClient } from '@azure/storage-blob'
import { Input, Output } from '../../../src/settings/inputs.js'
import { pgAdmin } from '../../support/database-fixtures.js'
import { restoreEnvironmentAfterAll } from '../../support/env.js'
import { checksums, homeState, run, useDbHome } from '../../support/e2e-restore.js'
import { startAzurite, startS3rver, type ObjectServer } from '../../support/object-servers.js'

const BUCKET = 'xlr-roundtrip'

const servers: Record<'s3' | 'azure', () => Promise<ObjectServer>> = {
  s3: async () => await startS3rver([BUCKET]),
  azure: async () => {
    const server = await startAzurite()
    await BlobServiceClient.fromConnectionString(server.env.AZURE_STORAGE_CONNECTION_STRING)
      .getContainerClient(BUCKET)
      .create()
    return server
  }
}

restoreEnvironmentAfterAll()

describe.each(['s3', 'azure'] as const)('storage: %s through runJob', kind => {
  const fx = useDbHome(`xlr-obj-rt-${kind}-`, `rt-${kind}-1`)
  let server: ObjectServer

  beforeAll(async () => {
    server = await servers[kind]()
    // Small parts: this small backup goes up in several of them, as a large one would.
    Object.assign(process.env, server.env, { XLR_BACKUP_TEST_PART_BYTES: String(64 * 1024) })
  })

  afterAll(async () => {
    delete process.env.XLR_BACKUP_TEST_PART_BYTES
    await server?.stop()
  })

  const store = (): Record<string, string> => ({
    [Input.Storage]: kind,
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
      kind === 's3' ? `s3://${BUCKET}/${key}` : `${server.endpoint}/${BUCKET}/${key}`
    )

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
