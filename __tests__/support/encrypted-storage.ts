// The shared set-up of the encrypted-backup tests that go through an emulated GitHub storage (artifact, cache).
import { mkdtemp } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { JobResult } from '../../src/report/job-result.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { requireAgeTool } from './crypto.js'
import { encryptedJobFixture, settingsFrom, type EncryptedJobFixture, type Inputs } from './e2e-secrets.js'
import { hideToolkitOutput, cleanUpEmulatorAfterAll, useRunnerTemp } from './env.js'

/** What the tests of one emulated storage use: the fixture, its scratch folder, the emulator and a job runner. */
export interface EncryptedStorageRig<E> extends EncryptedJobFixture {
  tmp: string
  emu: E
  /** runJob through the core with this storage and the home's port, plus `over`. */
  run(over: Inputs): Promise<JobResult>
}

/**
 * Registers the file's set-up and clean-up: a scratch folder (`prefix`) as RUNNER_TEMP's parent, the emulator that
 * `start` launches and points the environment at (before the core is imported), and the encrypted-job fixture. The
 * returned object is filled in before the tests run.
 */
export function encryptedStorageRig<E extends { close(): Promise<void> }>(
  storage: 'artifact' | 'cache',
  prefix: string,
  start: (tmp: string) => Promise<E>
): EncryptedStorageRig<E> {
  const rig = {} as EncryptedStorageRig<E>
  beforeAll(async () => {
    requireAgeTool()
    hideToolkitOutput()
    const tmp = await mkdtemp(path.join(os.tmpdir(), prefix))
    await useRunnerTemp(tmp)
    const emu = await start(tmp)
    const fixture = await encryptedJobFixture(tmp)
    Object.assign(rig, fixture, {
      tmp,
      emu,
      run: async (over: Inputs) =>
        await fixture.core.runJob(
          settingsFrom(fixture.core, { storage, port: String(fixture.port), ...over }),
          new MemoryLogger()
        )
    })
  }, 300_000)

  cleanUpEmulatorAfterAll(() => rig)
  return rig
}
