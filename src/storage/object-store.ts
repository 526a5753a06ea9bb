import * as os from 'node:os'
import type { Logger } from '../shared/logger.js'
import type { BackupStorage, StorageSettings } from './types.js'

/**
 * The s3 and azure backends. Their SDKs are loaded only when chosen (like the artifact and cache clients), so a
 * backup to a folder does not pay for loading them.
 */
export async function createObjectStorage(
  settings: StorageSettings,
  logger: Logger,
  env: NodeJS.ProcessEnv
): Promise<BackupStorage> {
  const { ObjectStorage } = await import('./object-storage.js')
  const options = {
    prefix: settings.path,
    immutableDays: settings.immutableDays,
    immutableMode: settings.immutableMode,
    parallel: settings.threads ? settings.threads : os.availableParallelism(),
    ...testPartSize(env)
  }
  if (settings.kind === 's3') {
    const { S3ObjectClient } = await import('./s3.js')
    logger.debug(`Backups are objects in s3://${settings.bucket}/${settings.path}`)
    const client = new S3ObjectClient({
      bucket: settings.bucket,
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle
    })
    return new ObjectStorage(client, { kind: 's3', ...options })
  }
  const { AzureObjectClient } = await import('./azure.js')
  logger.debug(`Backups are blobs in container ${settings.bucket}, prefix '${settings.path}'`)
  const client = new AzureObjectClient({ container: settings.bucket, endpoint: settings.endpoint }, env)
  return new ObjectStorage(client, { kind: 'azure', ...options })
}

/**
 * XLR_BACKUP_TEST_PART_BYTES: smaller parts than the default, so the tests' small backups span several parts. Not
 * an input: part size follows from the file size, and no user needs to choose it.
 */
function testPartSize(env: NodeJS.ProcessEnv): { minPartBytes?: number } {
  const bytes = Number(env.XLR_BACKUP_TEST_PART_BYTES)
  return Number.isSafeInteger(bytes) && bytes > 0 ? { minPartBytes: bytes } : {}
}
