// npm run bench:store [-- --mb 2048 --runs 3 --server radosgw|s3rver]: the s3 storage's upload and download against
// a plain @aws-sdk/lib-storage Upload (and a plain GetObject) of the same file, on a local S3 server (radosgw, the
// Ceph gateway the tests start, keeps objects in memory; s3rver writes them to disk), runs interleaved; each
// transfer in its own process (scripts/bench-object-store-run.ts) for its peak RSS. Run it under
// `flock /work/wt/bench.lock` on a shared machine.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { open } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { randomFillSync } from 'node:crypto'
import { CreateBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3'
import { s3Client, startS3rver } from '../__tests__/support/object-servers.js'
import { startRadosgw } from '../__tests__/support/radosgw.js'

const args = process.argv.slice(2)
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback
}
const mb = Number(arg('mb', '2048'))
const runs = Number(arg('runs', '3'))
const serverKind = arg('server', 'radosgw')
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const BUCKET = 'bench'

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-store-'))
const server = serverKind === 's3rver' ? await startS3rver([BUCKET]) : await startRadosgw()
Object.assign(process.env, server.env)
try {
  const file = path.join(dir, 'backup.bin')
  await writeRandom(file, mb * 2 ** 20)
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  const sha256 = hash.digest('hex')
  const s3 = s3Client(server)
  if (serverKind !== 's3rver') await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
  const measures: Record<string, { seconds: number; maxRssMb: number }[]> = {}
  const measure = (what: string, key: string): void => {
    const out = execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules/tsx/dist/cli.mjs'),
        path.join(root, 'scripts/bench-object-store-run.ts'),
        what,
        server.endpoint,
        BUCKET,
        file,
        key,
        sha256
      ],
      { env: { ...process.env, NODE_NO_WARNINGS: '1' }, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 }
    )
    ;(measures[what] ??= []).push(JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; maxRssMb: number })
  }
  for (let run = 0; run < runs; run++) {
    // Interleaved, the order alternating: a slow spell of the shared machine falls on both sides.
    const order = run % 2 === 0 ? ['action', 'plain'] : ['plain', 'action']
    for (const side of order) {
      const key = `${side}-${run}.bin`
      measure(`${side}-upload`, key)
      measure(`${side}-download`, key)
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const lines = [
    `${serverKind} on 127.0.0.1, ${mb} MiB file, ${runs} interleaved runs; ${os.cpus().length} cores, Node ${process.version}`,
    '',
    '| what | median s | min–max s | median peak RSS MB | max peak RSS MB |',
    '| --- | --- | --- | --- | --- |'
  ]
  for (const [what, ms] of Object.entries(measures)) {
    const s = ms.map(m => m.seconds)
    const r = ms.map(m => m.maxRssMb)
    lines.push(
      `| ${what} | ${median(s).toFixed(2)} | ${Math.min(...s).toFixed(2)}–${Math.max(...s).toFixed(2)} | ${median(r).toFixed(0)} | ${Math.max(...r).toFixed(0)} |`
    )
  }
  const ratio = (a: string, b: string): string =>
    (median(measures[a].map(m => m.seconds)) / median(measures[b].map(m => m.seconds))).toFixed(2)
  lines.push(
    '',
    `upload action/plain: ${ratio('action-upload', 'plain-upload')}×; download action/plain: ${ratio('action-download', 'plain-download')}×`
  )
  console.log(lines.join('\n'))
} finally {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
}

/** A file of random bytes (a backup is compressed or encrypted: it does not compress further), written in 8 MiB steps. */
async function writeRandom(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w')
  const chunk = Buffer.alloc(8 * 2 ** 20)
  try {
    for (let done = 0; done < bytes; done += chunk.length) {
      randomFillSync(chunk)
      await handle.write(chunk, 0, Math.min(chunk.length, bytes - done))
    }
  } finally {
    await handle.close()
  }
}
