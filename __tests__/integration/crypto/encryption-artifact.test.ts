/**
 * Encrypted backups end to end through the real core with 'storage: artifact': the real @actions/artifact client
 * uploads `<name>.zip.age` to the local emulator; the blob the service holds is an age file with no plaintext that the
 * real `age` opens into a ZIP `unzip -t` passes; verify and restore fetch it back with the key or the passphrase, and
 * the restored home equals the original. The emulator's environment is set before the core is imported.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { jest } from '@jest/globals'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { startArtifactEmulator, type ArtifactEmulator } from '../../support/artifact-emulator.js'
import { requireAgeTool, type AgeKeyPair } from '../../support/crypto.js'
import {
  checkCiphertext,
  ciphertextCheck,
  encryptedJobFixture,
  fetchBackTests,
  settingsFrom,
  type Core,
  type Inputs,
  encryptionModes
} from '../../support/e2e-secrets.js'
import { hideToolkitOutput, restoreEnvironmentAfterAll, useRunnerTemp } from '../../support/env.js'

let emu: ArtifactEmulator
let core: Core
let tmp: string
let home: string
let port: number
let keys: AgeKeyPair
let original: Record<string, string>
const PASSPHRASE = `artifact passphrase ${Math.random().toString(36).slice(2)}`

beforeAll(async () => {
  requireAgeTool()
  hideToolkitOutput()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-enc-art-'))
  await useRunnerTemp(tmp)
  emu = await startArtifactEmulator()
  Object.assign(process.env, emu.env)
  ;({ home, port, keys, original, core } = await encryptedJobFixture(tmp))
}, 300_000)

afterAll(async () => {
  await emu?.close()
  jest.restoreAllMocks()
  await rm(tmp, { recursive: true, force: true })
})
restoreEnvironmentAfterAll()

async function run(over: Inputs) {
  return await core.runJob(settingsFrom(core, { storage: 'artifact', port: String(port), ...over }), new MemoryLogger())
}

describe.each(encryptionModes(() => keys, PASSPHRASE))(
  'encrypted with %s through artifact storage',
  (kind, encryptWith, decryptWith) => {
    const name = `e2e-art-${kind}`

    test('the uploaded artifact is an age file with no plaintext, that age and unzip open', async () => {
      await run({ mode: 'backup', name, home, 'compression-level': '0', ...encryptWith() })
      const stored = emu.artifacts().filter(a => a.finalized && a.name.startsWith(name))
      expect(stored.map(a => a.name)).toEqual([`${name}.zip.age`])
      const problems = await checkCiphertext(
        ciphertextCheck(kind, stored[0].blobFile, { home, tmp, keys, passphrase: PASSPHRASE })
      )
      expect(problems).toBe('')
    })

    fetchBackTests(kind, name, decryptWith, { run, tmp: () => tmp, original: () => original })
  }
)
