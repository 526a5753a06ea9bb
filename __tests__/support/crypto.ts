/** Test helpers for the crypto area: the real `age` tools, byte pipelines, and large random files made by streaming. */
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** Fails loudly (rather than skipping) when the Debian package `age` is missing: interop is a requirement. */
export function requireAgeTool(): void {
  const probe = spawnSync('age', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "The 'age' command-line tool is missing: install the Debian package 'age' (apt-get install -y age)."
    )
  }
}

export interface AgeKeyPair {
  identity: string
  recipient: string
  /** The key file exactly as age-keygen wrote it (comments included). */
  keyFile: string
}

/** A key pair made by the real `age-keygen` (written to `file`, 0600, as age-keygen does). */
export async function ageKeygen(file: string): Promise<AgeKeyPair> {
  const made = spawnSync('age-keygen', ['-o', file], { encoding: 'utf8' })
  if (made.status !== 0) throw new Error(`age-keygen failed: ${made.stderr}`)
  const keyFile = await readFile(file, 'utf8')
  const identity = keyFile.split('\n').find(l => l.startsWith('AGE-SECRET-KEY-1')) ?? ''
  const recipient = /public key: (age1\S+)/.exec(keyFile)?.[1] ?? ''
  return { identity, recipient, keyFile }
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion; stdin gets `input` when given. */
export async function run(command: string, args: string[], input?: string): Promise<RunResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  // A tool that exits without reading its stdin makes this write fail with EPIPE: that is no failure of the tool.
  child.stdin.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') stderr += `stdin: ${error.message}`
  })
  child.stdin.end(input ?? '')
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  return { code, stdout, stderr }
}

/**
 * Runs an `age` command that asks for a passphrase on its terminal. age reads passphrases only from /dev/tty (no
 * environment variable), so it runs under `script`, which gives it a pseudo-terminal; the passphrase is typed into
 * that terminal each time a prompt appears, never put on a command line.
 */
export async function runAgeWithTty(ageArgs: string[], passphrase: string): Promise<RunResult> {
  const quoted = ageArgs.map(a => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = spawn('script', ['-q', '-e', '-c', `age ${quoted}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let prompts = 0
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('latin1')
    // age asks once to decrypt, twice (enter + confirm) to encrypt.
    const seen = (stdout.match(/passphrase/gi) ?? []).length
    while (prompts < seen) {
      prompts++
      child.stdin.write(`${passphrase}\n`)
    }
  })
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  return { code, stdout, stderr }
}

/** Pushes `data` through a transform and returns what came out. For small data only. */
export async function throughTransform(transform: Transform, data: Buffer, writeSize = 10_000): Promise<Buffer> {
  const parts: Buffer[] = []
  const pieces: Buffer[] = []
  for (let i = 0; i < data.length; i += writeSize) pieces.push(data.subarray(i, i + writeSize))
  await pipeline(
    Readable.from(pieces),
    transform,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk)
        cb()
      }
    })
  )
  return Buffer.concat(parts)
}

/** Like throughTransform, but returns the error and whatever came out before it. */
export async function throughTransformCatching(
  transform: Transform,
  data: Buffer
): Promise<{ output: Buffer; error: unknown }> {
  const parts: Buffer[] = []
  try {
    await pipeline(
      Readable.from([data]),
      transform,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          parts.push(chunk)
          cb()
        }
      })
    )
    return { output: Buffer.concat(parts), error: undefined }
  } catch (error) {
    return { output: Buffer.concat(parts), error }
  }
}

/** A stream of `size` random bytes, in 1 MiB pieces, that records the SHA-256 of what it produced. */
export function randomSource(size: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256')
  let left = size
  const stream = new Readable({
    read() {
      if (left === 0) {
        this.push(null)
        return
      }
      const piece = randomBytes(Math.min(left, 1024 * 1024))
      left -= piece.length
      hash.update(piece)
      this.push(piece)
    }
  })
  return { stream, sha256: () => hash.digest('hex') }
}

/** A writable that keeps only the SHA-256 and length of what it is given. */
export function hashSink(onFirstChunk?: () => void): {
  stream: Writable
  sha256: () => string
  bytes: () => number
} {
  const hash = createHash('sha256')
  let bytes = 0
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (bytes === 0) onFirstChunk?.()
      hash.update(chunk)
      bytes += chunk.length
      cb()
    }
  })
  return { stream, sha256: () => hash.digest('hex'), bytes: () => bytes }
}

export { sha256File } from './hash.js'

/**
 * Watches this process's resident memory from begin() (the start of the part that must stay flat, e.g. after a
 * passphrase's fixed-size scrypt) to end(), which returns the peak growth in bytes.
 */
export function rssWatch(): { begin: () => void; end: () => number } {
  let start = 0
  let peak = 0
  let timer: NodeJS.Timeout | undefined
  return {
    begin() {
      if (timer) return
      start = process.memoryUsage.rss()
      peak = start
      // Unref'd: a test that fails (or times out) between begin() and end() must not keep its Jest worker alive.
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20).unref()
    },
    end() {
      clearInterval(timer)
      timer = undefined
      return Math.max(peak, process.memoryUsage.rss()) - start
    }
  }
}
