/**
 * A child process that uploads one file as a backup through the s3 or azure storage, for the test that kills an
 * upload midway. Arguments: kind, endpoint, bucket, file, backup name. Credentials come from the environment.
 */
import { copyFile } from 'node:fs/promises'
import { createStorage } from '../../src/storage/index.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { storageSettings } from './storage-fixtures.js'

const [kind, endpoint, bucket, file, name] = process.argv.slice(2)
const logger = new MemoryLogger()
const storage = await createStorage(
  storageSettings(kind as 's3' | 'azure', { bucket, endpoint, forcePathStyle: true, threads: 1 }),
  logger
)
const staged = await storage.stagingPath(name)
await copyFile(file, staged)
process.stdout.write('uploading\n')
await storage.publish(staged, name, logger)
process.stdout.write('done\n')
