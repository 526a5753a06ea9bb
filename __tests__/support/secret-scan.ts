/**
 * Looks for test secrets wherever the tool may have leaked them: files (logs, outputs, manifests, sidecars), whole
 * folders, strings (error messages, log lines) and the command lines of running processes.
 *
 * Each secret is searched in the forms a leak takes: as is, URL-encoded, hex, and base64/base64url — the base64 form
 * at each of the three byte alignments, so a secret inside a larger encoded blob (an Authorization header, a config
 * file) is found too. Files are streamed with an overlap, so large files cost no memory.
 */
import { createReadStream } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'

export interface SecretFinding {
  /** Index of the secret in the list given (the secret itself is never repeated here). */
  secret: number
  /** Which form matched: 'plain', 'url', 'hex', 'base64@0|1|2', 'base64url@0|1|2'. */
  form: string
  /** A file path, `texts[i]`, or whatever label the caller gave. */
  place: string
  /** Byte offset (files) or character offset (texts) of the match. */
  offset: number
}

export interface ScanPlaces {
  files?: string[]
  /** Scanned recursively; symbolic links are not followed. */
  dirs?: string[]
  texts?: string[]
}

interface Needle {
  secret: number
  form: string
  bytes: Buffer
}

/** Shorter encoded fragments would match by chance in binary files. */
const MIN_NEEDLE = 6

/** The part of base64(prefix + secret) that depends only on the secret, for a prefix of `shift` bytes. */
function base64Core(secret: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), secret]).toString('base64')
  const start = Math.ceil((8 * shift) / 6)
  const end = Math.floor((8 * (shift + secret.length)) / 6)
  return encoded.slice(start, end)
}

export function secretForms(secret: string): { form: string; text: string }[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = [
    { form: 'plain', text: secret },
    { form: 'url', text: encodeURIComponent(secret) },
    { form: 'hex', text: bytes.toString('hex') }
  ]
  for (const shift of [0, 1, 2]) {
    const core = base64Core(bytes, shift)
    forms.push({ form: `base64@${shift}`, text: core })
    forms.push({ form: `base64url@${shift}`, text: core.replace(/\+/g, '-').replace(/\//g, '_') })
  }
  const seen = new Set<string>()
  return forms.filter(f => {
    if (f.text.length < MIN_NEEDLE || seen.has(f.text)) return false
    seen.add(f.text)
    return true
  })
}

function needles(secrets: string[]): Needle[] {
  return secrets.flatMap((secret, index) => {
    if (secret.length === 0) throw new Error(`scanForSecrets: secret ${index} is empty`)
    return secretForms(secret).map(f => ({ secret: index, form: f.form, bytes: Buffer.from(f.text, 'utf8') }))
  })
}

function findAll(haystack: Buffer, list: Needle[], place: string, base: number, from: number): SecretFinding[] {
  const found: SecretFinding[] = []
  for (const needle of list) {
    let at = haystack.indexOf(needle.bytes)
    while (at >= 0) {
      // Matches wholly inside the overlap were reported with the previous block.
      if (at + needle.bytes.length > from)
        found.push({ secret: needle.secret, form: needle.form, place, offset: base + at })
      at = haystack.indexOf(needle.bytes, at + 1)
    }
  }
  return found
}

async function scanFile(file: string, list: Needle[]): Promise<SecretFinding[]> {
  const overlap = Math.max(...list.map(n => n.bytes.length)) - 1
  const found: SecretFinding[] = []
  let tail = Buffer.alloc(0)
  let consumed = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const block = Buffer.concat([tail, chunk as Buffer])
    found.push(...findAll(block, list, file, consumed - tail.length, tail.length))
    consumed += (chunk as Buffer).length
    tail = block.subarray(Math.max(0, block.length - overlap))
  }
  return found
}

async function filesUnder(dir: string): Promise<string[]> {
  const result: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) result.push(...(await filesUnder(full)))
    else if (entry.isFile()) result.push(full)
  }
  return result
}

/** Every place where any of `secrets` appears, in any of its forms; an empty list means no leak was seen. */
export async function scanForSecrets(secrets: string[], places: ScanPlaces): Promise<SecretFinding[]> {
  const list = needles(secrets)
  const found: SecretFinding[] = []
  const files = [...(places.files ?? [])]
  for (const dir of places.dirs ?? []) files.push(...(await filesUnder(dir)))
  for (const file of files) {
    if (!(await lstat(file)).isFile()) continue
    found.push(...(await scanFile(file, list)))
  }
  ;(places.texts ?? []).forEach((text, i) => {
    found.push(...findAll(Buffer.from(text, 'utf8'), list, `texts[${i}]`, 0, 0))
  })
  return found
}

/** A readable summary of findings for a failing assertion, naming places and forms but not the secrets. */
export function describeFindings(findings: SecretFinding[]): string {
  return findings.map(f => `secret #${f.secret} (${f.form}) in ${f.place} at ${f.offset}`).join('\n')
}

export interface CmdlineSample {
  pid: number
  /** argv joined by spaces. */
  cmdline: string
}

export interface CmdlineSampler {
  /** Stops polling and returns every distinct command line seen. */
  stop(): Promise<CmdlineSample[]>
}

// The poller runs in a worker thread so it keeps sampling while the test's event loop is busy. Processes that live
// shorter than one poll (about 2 ms plus a /proc walk) can be missed: this is a sampler, not an audit log.
const POLLER = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const flag = new Int32Array(workerData.flag)
const self = String(process.pid)
const seen = new Map()
function poll() {
  let pids = []
  try { pids = fs.readdirSync('/proc').filter(name => /^[0-9]+$/.test(name)) } catch {}
  for (const pid of pids) {
    let raw
    try { raw = fs.readFileSync('/proc/' + pid + '/cmdline') } catch { continue }
    if (raw.length === 0) continue
    const cmdline = raw.toString('utf8').replace(/\\0+$/, '').split('\\0').join(' ')
    const key = pid + ' ' + cmdline
    if (!seen.has(key)) seen.set(key, { pid: Number(pid), cmdline })
  }
}
poll()
parentPort.postMessage('ready')
while (Atomics.load(flag, 0) === 0) {
  Atomics.wait(flag, 0, 0, workerData.intervalMs)
  poll()
}
parentPort.postMessage([...seen.values()])
`

/**
 * Starts polling /proc/<pid>/cmdline of every process; resolves once the first pass is done (start the work after
 * that), and stop() does a last pass and returns what was seen. Linux only.
 */
export async function startCmdlineSampler(intervalMs = 2): Promise<CmdlineSampler> {
  const flag = new SharedArrayBuffer(4)
  const worker = new Worker(POLLER, { eval: true, workerData: { flag, intervalMs } })
  let ready: () => void = () => {}
  const started = new Promise<void>(resolve => (ready = resolve))
  const result = new Promise<CmdlineSample[]>((resolve, reject) => {
    worker.on('message', (message: unknown) => (message === 'ready' ? ready() : resolve(message as CmdlineSample[])))
    worker.once('error', reject)
  })
  await Promise.race([started, result])
  return {
    async stop() {
      const view = new Int32Array(flag)
      Atomics.store(view, 0, 1)
      Atomics.notify(view, 0)
      const samples = await result
      await worker.terminate()
      return samples
    }
  }
}

/** Polls every process's command line for `durationMs` (run the work alongside) and returns what it saw. */
export async function sampleCmdlines(durationMs: number, intervalMs = 2): Promise<CmdlineSample[]> {
  const sampler = await startCmdlineSampler(intervalMs)
  await new Promise(resolve => setTimeout(resolve, durationMs))
  return await sampler.stop()
}
