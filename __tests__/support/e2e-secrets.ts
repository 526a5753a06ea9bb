/**
 * Helpers for the end-to-end encryption and secrets tests: they drive the real core (`runJob` over `parseSettings`)
 * with inputs as the action would get them, against real homes, real storages (or their emulators), the real `age`
 * tool and real databases.
 *
 * The @actions clients read their environment when imported, so the core is imported only by `loadCore()`, after
 * the test has set the emulator's environment.
 */
import { spawnSync } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { JobResult } from '../../src/report/job-result.js'
import type { Settings } from '../../src/settings/settings.js'
import type { Logger } from '../../src/shared/logger.js'
import { Output } from '../../src/shared/io-names.js'
import { makeHome } from '../../scripts/make-home.js'
import { ageKeygen, type AgeKeyPair } from './crypto.js'
import { freePort } from './net.js'

export type Inputs = Record<string, string>

export interface Core {
  runJob(settings: Settings, logger: Logger): Promise<JobResult>
  parseSettings(read: (name: string) => string, env?: NodeJS.ProcessEnv): Settings
}

/** The core, imported now (after the caller set any emulator environment). */
export async function loadCore(): Promise<Core> {
  const job = await import('../../src/job.js')
  const parse = await import('../../src/settings/parse.js')
  return {
    runJob: job.runJob,
    parseSettings: (read, env) => parse.parseSettings(name => read(name), env)
  }
}

/** Settings from action-style inputs (unset inputs read as ''), validated by the real parser. */
export function settingsFrom(core: Core, inputs: Inputs): Settings {
  return core.parseSettings(name => inputs[name] ?? '')
}

/**
 * A small realistic home (makeHome at scale 0.005, a few MB) whose server port is a free one, so the server guard's
 * port probe never meets another test's listener. Returns the port to pass as the `port` input.
 */
export async function makeSmallHome(dir: string): Promise<{ port: number }> {
  await makeHome(dir, { scale: 0.005 })
  return { port: await freePort() }
}

/** A known, distinctive text of the home that a plaintext stored ZIP (compression-level 0) would hold as is. */
export async function knownText(home: string): Promise<string> {
  const lic = await readFile(path.join(home, 'conf/xl-release-license.lic'), 'utf8')
  // The license's base64 line: 344 random characters, found nowhere else by chance.
  const line = lic.split('\n').find(l => l.length > 100)
  if (!line) throw new Error('no long line in the license file')
  return line
}

/** Manifest keys that a plaintext backup carries in clear (its manifest.json entry, stored). */
export const MANIFEST_KEYS = ['"xlReleaseVersion"', '"formatVersion"', '"exclusions"', '"databases"']

export interface ToolRun {
  code: number | null
  stdout: string
  stderr: string
}

/** `age -d -i <keyFile> -o <out> <file>` with the real age tool. */
export function ageDecrypt(keyFile: string, file: string, out: string): ToolRun {
  const r = spawnSync('age', ['-d', '-i', keyFile, '-o', out, file], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** `unzip -t` (tests every entry's CRC) of a ZIP. */
export function unzipTest(file: string): ToolRun {
  const r = spawnSync('unzip', ['-t', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The first bytes of a file. */
export async function headOf(file: string, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Mode bits (permissions only) of a path. */
export async function modeOf(file: string): Promise<number> {
  return (await lstat(file)).mode & 0o777
}

export interface SeenPath {
  path: string
  kind: 'file' | 'dir'
  mode: number
}

/**
 * Watches folders while a job runs: every few milliseconds lists them (recursively, to `depth`) and records each path
 * seen whose name matches, with its mode. The job's awaits give the timer its turns; a path that lives shorter than
 * one tick can be missed, so callers assert on what they must have seen (e.g. the staged backup file).
 */
export function watchPaths(
  roots: string[],
  match: (name: string) => boolean,
  depth = 2
): { stop(): Promise<SeenPath[]> } {
  const seen = new Map<string, SeenPath>()
  let busy = false
  const scan = async (dir: string, level: number): Promise<void> => {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    for (const name of names) {
      const full = path.join(dir, name)
      let st
      try {
        st = await stat(full)
      } catch {
        continue
      }
      if (match(name)) {
        const kind = st.isDirectory() ? 'dir' : 'file'
        const key = `${full} ${(st.mode & 0o777).toString(8)}`
        if (!seen.has(key)) seen.set(key, { path: full, kind, mode: st.mode & 0o777 })
      }
      if (st.isDirectory() && level < depth) await scan(full, level + 1)
    }
  }
  const tick = async (): Promise<void> => {
    if (busy) return
    busy = true
    try {
      for (const root of roots) await scan(root, 0)
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void tick(), 5)
  return {
    async stop() {
      clearInterval(timer)
      while (busy) await new Promise(resolve => setTimeout(resolve, 5))
      await tick()
      return [...seen.values()]
    }
  }
}

/** Runs a job expected to fail; returns the error (fails the test when the job succeeds). */
export async function expectFailure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run()
  } catch (error) {
    return error as Error
  }
  throw new Error('the job succeeded, but it was expected to fail')
}

/** An error's message with every `cause` message under it, for scanning and for readable assertions. */
export function messagesOf(error: unknown): string {
  const parts: string[] = []
  let e: unknown = error
  while (e instanceof Error && parts.length < 10) {
    parts.push(`${e.name}: ${e.message}`, e.stack ?? '')
    e = (e as Error & { cause?: unknown }).cause
  }
  return parts.join('\n')
}

/**
 * A home's tree as `describeTree` gives it (type, mode, content hash or link target, mtime), with mtimes to the whole
 * millisecond (the archive records milliseconds) and restore work folders left out: equal trees mean the home came
 * back (or stayed) exactly as it was.
 */
export async function homeTree(dir: string): Promise<Record<string, string>> {
  const { describeTree } = await import('./archive-fixtures.js')
  const tree = await describeTree(dir)
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(tree)) {
    if (key.startsWith('.xlr-restore-')) continue
    out[key] = value.replace(/ (\d+)(\.\d+)?$/, ' $1')
  }
  return out
}

export interface CiphertextCheck {
  /** The stored file (the .zip.age as the storage holds it). */
  file: string
  /** The home that was backed up (for a known text to look for). */
  home: string
  /** Where to write the decrypted ZIP (removed afterwards). */
  scratch: string
  key: { keyFile: string } | { passphrase: string }
  /** The manifest's `encryption` record expected. */
  encryption: { format: 'age'; recipients: number; passphrase: boolean }
  /** Secrets the manifest must not hold. */
  secrets: string[]
}

/**
 * Proves a stored backup is a real age file with no plaintext in it: the age header; none of a known file's text, the
 * manifest's keys or an entry name in the bytes (made with compression-level 0, a plaintext ZIP would show them all);
 * the real `age -d` opens it into a ZIP that `unzip -t` passes and that does hold that plaintext (the scan's positive
 * control); its manifest records the encryption without any secret. Returns failures as text ('' when all is well)
 * so the caller's assertion shows them all.
 */
export async function checkCiphertext(c: CiphertextCheck): Promise<string> {
  const { scanForSecrets, describeFindings } = await import('./secret-scan.js')
  const problems: string[] = []
  const head = (await headOf(c.file, 22)).toString('latin1')
  if (head !== 'age-encryption.org/v1\n') problems.push(`not an age file: starts ${JSON.stringify(head)}`)
  const plain = [await knownText(c.home), ...MANIFEST_KEYS, 'home/conf/xl-release.conf', 'manifest.json']
  const leaks = describeFindings(await scanForSecrets(plain, { files: [c.file] }))
  if (leaks) problems.push(`plaintext in the stored file:\n${leaks}`)

  const zip = path.join(c.scratch, `${path.basename(c.file, '.age')}`)
  if ('keyFile' in c.key) {
    const r = ageDecrypt(c.key.keyFile, c.file, zip)
    if (r.code !== 0) problems.push(`age -d -i failed (${r.code}): ${r.stderr}`)
  } else {
    const { runAgeWithTty } = await import('./crypto.js')
    const r = await runAgeWithTty(['-d', '-o', zip, c.file], c.key.passphrase)
    if (r.code !== 0) problems.push(`age -d with the passphrase failed (${r.code}): ${r.stdout}${r.stderr}`)
  }
  if (problems.length > 0) return problems.join('\n')
  try {
    const t = unzipTest(zip)
    if (t.code !== 0 || !t.stdout.includes('No errors detected'))
      problems.push(`unzip -t failed: ${t.stdout}${t.stderr}`)
    if (!t.stdout.includes('home/conf/xl-release.conf')) problems.push('the ZIP lacks home/conf/xl-release.conf')
    const found = await scanForSecrets(plain, { files: [zip] })
    const missing = plain.filter((_, i) => !found.some(f => f.secret === i))
    if (missing.length > 0)
      problems.push(`the decrypted ZIP lacks plaintext the scan looked for: ${missing.join(', ')}`)
    const r = spawnSync('unzip', ['-p', zip, 'manifest.json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const manifest = JSON.parse(r.stdout) as { encryption?: unknown }
    if (JSON.stringify(manifest.encryption) !== JSON.stringify(c.encryption))
      problems.push(
        `manifest encryption ${JSON.stringify(manifest.encryption)}, expected ${JSON.stringify(c.encryption)}`
      )
    const secretLeaks = describeFindings(await scanForSecrets(c.secrets, { texts: [r.stdout] }))
    if (secretLeaks) problems.push(`secret in the manifest:\n${secretLeaks}`)
  } finally {
    await rm(zip, { force: true })
  }
  return problems.join('\n')
}

/**
 * The two ways a backup is encrypted, for `describe.each`: [kind, inputs that encrypt, inputs that decrypt]. The
 * key pair is made in beforeAll, so it is read through `keys()` when a test runs.
 */
export function encryptionModes(
  keys: () => { recipient: string; keyFile: string },
  passphrase: string
): [string, () => Inputs, () => Inputs][] {
  return [
    [
      'recipients',
      () => ({ 'encryption-recipients': keys().recipient }),
      () => ({ 'decryption-identity': keys().keyFile })
    ],
    ['passphrase', () => ({ 'encryption-passphrase': passphrase }), () => ({ 'encryption-passphrase': passphrase })]
  ]
}

/** What the encrypted-storage tests start from: a small home, an age key pair, the home's tree and the core. */
export interface EncryptedJobFixture {
  home: string
  port: number
  keyFile: string
  keys: AgeKeyPair
  original: Record<string, string>
  core: Core
}

/**
 * A small home in `tmp/home`, a key pair by the real age-keygen in `tmp/key.txt`, the home's tree as backed up, and
 * the core, imported last (after the caller set any emulator environment).
 */
export async function encryptedJobFixture(tmp: string): Promise<EncryptedJobFixture> {
  const home = path.join(tmp, 'home')
  const { port } = await makeSmallHome(home)
  const keyFile = path.join(tmp, 'key.txt')
  const keys = await ageKeygen(keyFile)
  const original = await homeTree(home)
  return { home, port, keyFile, keys, original, core: await loadCore() }
}

/** The checkCiphertext of a backup stored by `kind` (see encryptionModes) with `fixture`'s key or `passphrase`. */
export function ciphertextCheck(
  kind: string,
  file: string,
  c: { home: string; tmp: string; keys: AgeKeyPair; passphrase: string }
): CiphertextCheck {
  return {
    file,
    home: c.home,
    scratch: c.tmp,
    key: kind === 'recipients' ? { keyFile: path.join(c.tmp, 'key.txt') } : { passphrase: c.passphrase },
    encryption:
      kind === 'recipients'
        ? { format: 'age', recipients: 1, passphrase: false }
        : { format: 'age', recipients: 0, passphrase: true },
    secrets: [c.passphrase, c.keys.identity]
  }
}

/**
 * The two tests every storage's encrypted backup `name` (see encryptionModes) must pass once stored: verify fetches
 * and opens it, and restore into a new home (in `tmp()`) gives back `original()`.
 */
export function fetchBackTests(
  kind: string,
  name: string,
  decryptWith: () => Inputs,
  c: { run: (over: Inputs) => Promise<JobResult>; tmp: () => string; original: () => Record<string, string> }
): void {
  test('verify fetches and opens it', async () => {
    const result = await c.run({ mode: 'verify', name, ...decryptWith() })
    expect(result.outputs[Output.Verified]).toBe('true')
    expect(result.summary.facts).toContainEqual(['Encrypted', 'yes (age)'])
  })

  test('restore into a new home gives back the original', async () => {
    const target = path.join(c.tmp(), `restored-${kind}`)
    await c.run({ mode: 'restore', name, home: target, components: 'all', ...decryptWith() })
    expect(await homeTree(target)).toEqual(c.original())
  })
}
