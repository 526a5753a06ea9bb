// The shared set-up of the encrypted-backup tests that go through an emulated GitHub storage (artifact, cache).
import { mkdtemp } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { JobResult } from '../../src/report/job-result.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { requireAgeTool } from './crypto.js'
import {
  checkCiphertext,
  ciphertextCheck,
  encryptedJobFixture,
  encryptionModes,
  fetchBackTests,
  settingsFrom,
  type EncryptedJobFixture,
  type Inputs
} from './e2e-secrets.js'
import { hideToolkitOutput, cleanUpEmulatorAfterAll, useRunnerTemp } from './env.js'

/** What the tests of one emulated storage use: the fixture, its scratch folder, the emulator and a job runner. */
export interface EncryptedStorageRig<E> extends EncryptedJobFixture {
  storage: 'artifact' | 'cache'
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
  // The storage is known now (the tests' titles name it); the rest is filled in before the tests run.
  const rig = { storage } as EncryptedStorageRig<E>
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

/** Where one storage keeps a backup: the test's title, and the stored file of backup `name` (checked to be the only one). */
export interface StoredForm {
  title: string
  file(kind: string, name: string): Promise<string>
}

/**
 * The tests of one storage, once for each encryption mode: its stored form of a backup named `<namePrefix>-<mode>` is
 * an age file without plaintext that age and unzip open; verify and restore fetch it back.
 */
export function encryptedStorageTests<E>(
  rig: EncryptedStorageRig<E>,
  passphrase: string,
  namePrefix: string,
  stored: StoredForm
): void {
  describe.each(encryptionModes(() => rig.keys, passphrase))(
    `encrypted with %s through ${rig.storage} storage`,
    (kind, encryptWith, decryptWith) => {
      const name = `${namePrefix}-${kind}`

      test(stored.title, async () => {
        await rig.run({ mode: 'backup', name, home: rig.home, 'compression-level': '0', ...encryptWith() })
        const file = await stored.file(kind, name)
        expect(await checkCiphertext(ciphertextCheck(kind, file, { ...rig, passphrase }))).toBe('')
      })

      fetchBackTests(kind, name, decryptWith, {
        run: over => rig.run(over),
        tmp: () => rig.tmp,
        original: () => rig.original
      })
    }
  )
}
