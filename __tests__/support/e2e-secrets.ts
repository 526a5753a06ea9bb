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
import { lstat, readdir, readFile, stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { JobResult } from '../../src/report/job-result.js'
import type { Settings } from '../../src/settings/settings.js'
import type { Logger } from '../../src/shared/logger.js'
import { makeHome } from '../../scripts/make-home.js'
import { freePort } from './guard-fixtures.js'

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
