import { mkdir, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { jest } from '@jest/globals'

/**
 * Saves process.env and the current folder now and puts them back after the file's tests: the emulators' URLs and
 * tokens, RUNNER_TEMP and the workspace a test sets must not leak into the next test file this worker runs.
 */
export function restoreEnvironmentAfterAll(): void {
  const env = { ...process.env }
  const cwd = process.cwd()
  afterAll(() => {
    process.chdir(cwd)
    process.env = env
  })
}

/** A new `runner-temp` folder in `tmp` as the job's RUNNER_TEMP, where a job keeps (and must clean) its temp files. */
export async function useRunnerTemp(tmp: string): Promise<string> {
  const dir = path.join(tmp, 'runner-temp')
  await mkdir(dir)
  process.env.RUNNER_TEMP = dir
  return dir
}

/**
 * The toolkit and the artifact/cache clients narrate on stdout with workflow commands (::debug::, ::add-mask::) and
 * progress lines; lines matching `noise` are dropped to keep the test log readable. Undone by jest.restoreAllMocks().
 */
export function hideToolkitOutput(noise = /^(::|\[command\])/): void {
  const write = process.stdout.write.bind(process.stdout)
  jest
    .spyOn(process.stdout, 'write')
    .mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) =>
      noise.test(String(chunk)) ? true : write(chunk, ...rest)) as typeof process.stdout.write)
}

/** Runs `work` with the environment variable `name` set to `value`, then puts back what it was (or unsets it). */
export async function withEnvVar<T>(name: string, value: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env[name]
  process.env[name] = value
  try {
    return await work()
  } finally {
    if (saved === undefined) delete process.env[name]
    else process.env[name] = saved
  }
}

/**
 * Registers the clean-up of a file that runs the core against an emulator: after its tests, the emulator `scene()`
 * names is closed, its scratch folder removed, the spies undone and the environment and folder put back.
 */
export function cleanUpEmulatorAfterAll(scene: () => { emu?: { close(): Promise<void> }; tmp?: string }): void {
  afterAll(async () => {
    const { emu, tmp } = scene()
    await emu?.close()
    if (tmp) await rm(tmp, { recursive: true, force: true })
    jest.restoreAllMocks()
  })
  restoreEnvironmentAfterAll()
}
