// One measured transfer for scripts/bench-object-store.ts, in its own process so its peak RSS is its own:
//   action-upload | plain-upload | action-download | plain-download  <endpoint> <bucket> <file> <key> <sha256>
// Prints one JSON line: { seconds, maxRssMb }.
import { createReadStream, createWriteStream } from 'node:fs'
import { link, mkdtemp, rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { GetObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { createStorage } from '../src/storage/index.js'
import { MemoryLogger } from '../src/shared/logger.js'
import { storageSettings } from '../__tests__/support/storage-fixtures.js'

const [what, endpoint, bucket, file, key, sha256] = process.argv.slice(2)
const PARALLEL = 4
const logger = new MemoryLogger()
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED'
})
const settings = storageSettings('s3', { bucket, endpoint, forcePathStyle: true, threads: PARALLEL })
const size = (await stat(file)).size
const scratch = await mkdtemp(path.join(path.dirname(file), 'run-'))

// Both sides start with a client that has made its first request (a real backup runs the storage's preflight
// before the server stops, long before the upload): the first request of a process costs a second or more of
// connection and credential set-up that is not the transfer. The backup is found before the clock starts too.
const storage = await createStorage(settings, logger)
if (what.startsWith('action-')) await storage.preflight?.(logger)
else await client.send(new HeadBucketCommand({ Bucket: bucket }))
const found = what === 'action-download' ? await storage.find({ name: key }, logger) : null
const started = process.hrtime.bigint()
if (what === 'action-upload') {
  // The backup writer hands publish a finished file and its digest; a hard link stands in for that file.
  const staged = path.join(scratch, key)
  await link(file, staged)
  await storage.publish(staged, key, logger, { sha256, size })
} else if (what === 'plain-upload') {
  await new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(file) },
    queueSize: PARALLEL
  }).done()
} else if (what === 'action-download' && found) {
  await storage.fetch(found, scratch, logger)
} else if (what === 'plain-download') {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  await pipeline(got.Body as Readable, createWriteStream(path.join(scratch, key)))
} else {
  throw new Error(`unknown run '${what}'`)
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9
await rm(scratch, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`)
