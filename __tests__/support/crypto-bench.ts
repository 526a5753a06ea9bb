/**
 * Throughput of the age streams, for the benchmark (scripts/bench.ts may import benchCrypto) or by hand:
 *   node scripts/run-tsx.js __tests__/support/crypto-bench.ts [megabytes]   (or: npx tsx …)
 * Plaintext is generated once into a temp file, so the numbers are of file → cipher → file, as a backup does;
 * with the `age` CLI installed, the same files go through it for comparison.
 */
import { spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { generateIdentity, identityToRecipient } from 'age-encryption'
import { createDecryptStream, createEncryptStream } from '../../src/crypto/index.js'
import { randomSource, rssWatch } from './crypto.js'

export interface CryptoBenchResult {
  megabytes: number
  /** MB/s (10^6 bytes) of file → our encrypt stream → file, wall clock (depends on the machine's load). */
  encryptMBps: number
  decryptMBps: number
  /** MB per CPU-second of this process (user + system): the cost, independent of other load. */
  encryptMBperCpuSecond: number
  decryptMBperCpuSecond: number
  /** Peak RSS growth (MiB) while streaming. */
  encryptRssMiB: number
  decryptRssMiB: number
  /** The same through `age -r` / `age -d -i`, when the tool is installed. */
  ageCli?: { encryptMBps: number; decryptMBps: number; encryptMBperCpuSecond: number; decryptMBperCpuSecond: number }
  /** A file → file copy, the disk's share of the numbers above. */
  copyMBps: number
  /** Without disks: memory → encrypt → discard, and memory → encrypt → decrypt → discard (MB per CPU-second). */
  memoryEncryptMBperCpuSecond: number
  memoryRoundTripMBperCpuSecond: number
}

/** `megabytes` of one reused 64 KiB buffer: the cipher's cost without disk or random-number generation. */
function memorySource(megabytes: number): Readable {
  const piece = Buffer.alloc(64 * 1024, 0x5a)
  const count = Math.floor((megabytes * 1e6) / piece.length)
  return Readable.from(
    (function* () {
      for (let i = 0; i < count; i++) yield piece
    })()
  )
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback()
    }
  })
}

async function timed(work: () => Promise<void>): Promise<{ seconds: number; cpuSeconds: number; rssMiB: number }> {
  const watch = rssWatch()
  watch.begin()
  const start = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  await work()
  const used = process.cpuUsage(cpu)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, rssMiB: watch.end() / 2 ** 20 }
}

/** Runs a command under bash and reads its CPU time from bash's `times` (the children's line). */
function timedCommand(command: string, args: string[]): { seconds: number; cpuSeconds: number } {
  const start = process.hrtime.bigint()
  const result = spawnSync('bash', ['-c', '"$@" >/dev/null && times', 'bash', command, ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const children = result.stdout.trim().split('\n')[1] ?? ''
  const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
    0
  )
  return { seconds, cpuSeconds }
}

export async function benchCrypto(megabytes = 500): Promise<CryptoBenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crypto-bench-'))
  try {
    const bytes = megabytes * 1e6
    const plain = path.join(dir, 'plain')
    const copy = path.join(dir, 'copy')
    const sealed = path.join(dir, 'sealed.age')
    const opened = path.join(dir, 'opened')
    await pipeline(randomSource(bytes).stream, createWriteStream(plain))
    const identity = await generateIdentity()
    const recipient = await identityToRecipient(identity)

    const copied = await timed(() => pipeline(createReadStream(plain), createWriteStream(copy)))
    await rm(copy)
    const encryptStream = await createEncryptStream({ recipients: [recipient] })
    const enc = await timed(() => pipeline(createReadStream(plain), encryptStream, createWriteStream(sealed)))
    const decryptStream = await createDecryptStream({ identities: [identity] })
    const dec = await timed(() => pipeline(createReadStream(sealed), decryptStream, createWriteStream(opened)))
    await rm(opened)

    const encOnly = await createEncryptStream({ recipients: [recipient] })
    const memEnc = await timed(() => pipeline(memorySource(megabytes), encOnly, discard()))
    const encBoth = await createEncryptStream({ recipients: [recipient] })
    const decBoth = await createDecryptStream({ identities: [identity] })
    const memBoth = await timed(() => pipeline(memorySource(megabytes), encBoth, decBoth, discard()))

    const result: CryptoBenchResult = {
      memoryEncryptMBperCpuSecond: megabytes / memEnc.cpuSeconds,
      memoryRoundTripMBperCpuSecond: megabytes / memBoth.cpuSeconds,
      megabytes,
      encryptMBps: megabytes / enc.seconds,
      decryptMBps: megabytes / dec.seconds,
      encryptMBperCpuSecond: megabytes / enc.cpuSeconds,
      decryptMBperCpuSecond: megabytes / dec.cpuSeconds,
      encryptRssMiB: enc.rssMiB,
      decryptRssMiB: dec.rssMiB,
      copyMBps: megabytes / copied.seconds
    }
    if (spawnSync('age', ['--version']).status === 0) {
      const keyFile = path.join(dir, 'key.txt')
      spawnSync('sh', ['-c', 'umask 077; cat > "$1"', 'sh', keyFile], { input: `${identity}\n` })
      const cliEnc = timedCommand('age', ['-r', recipient, '-o', path.join(dir, 'cli.age'), plain])
      const cliDec = timedCommand('age', ['-d', '-i', keyFile, '-o', opened, sealed])
      result.ageCli = {
        encryptMBps: megabytes / cliEnc.seconds,
        decryptMBps: megabytes / cliDec.seconds,
        encryptMBperCpuSecond: megabytes / cliEnc.cpuSeconds,
        decryptMBperCpuSecond: megabytes / cliDec.cpuSeconds
      }
    }
    return result
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && /crypto-bench\.ts$/.test(process.argv[1])) {
  const megabytes = Number(process.argv[2] ?? '500')
  benchCrypto(megabytes).then(
    result => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
