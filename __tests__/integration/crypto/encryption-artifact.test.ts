/**
 * Encrypted backups end to end through the real core with 'storage: artifact': the real @actions/artifact client
 * uploads `<name>.zip.age` to the local emulator; the blob the service holds is an age file with no plaintext that the
 * real `age` opens into a ZIP `unzip -t` passes; verify and restore fetch it back with the key or the passphrase, and
 * the restored home equals the original. The emulator's environment is set before the core is imported.
 */
import { startArtifactEmulator } from '../../support/artifact-emulator.js'
import { checkCiphertext, ciphertextCheck, encryptionModes, fetchBackTests } from '../../support/e2e-secrets.js'
import { encryptedStorageRig } from '../../support/encrypted-storage.js'

const PASSPHRASE = `artifact passphrase ${Math.random().toString(36).slice(2)}`

const rig = encryptedStorageRig('artifact', 'e2e-enc-art-', async () => {
  const emu = await startArtifactEmulator()
  Object.assign(process.env, emu.env)
  return emu
})

describe.each(encryptionModes(() => rig.keys, PASSPHRASE))(
  'encrypted with %s through artifact storage',
  (kind, encryptWith, decryptWith) => {
    const name = `e2e-art-${kind}`

    test('the uploaded artifact is an age file with no plaintext, that age and unzip open', async () => {
      await rig.run({ mode: 'backup', name, home: rig.home, 'compression-level': '0', ...encryptWith() })
      const stored = rig.emu.artifacts().filter(a => a.finalized && a.name.startsWith(name))
      expect(stored.map(a => a.name)).toEqual([`${name}.zip.age`])
      const problems = await checkCiphertext(
        ciphertextCheck(kind, stored[0].blobFile, { ...rig, passphrase: PASSPHRASE })
      )
      expect(problems).toBe('')
    })

    fetchBackTests(kind, name, decryptWith, {
      run: over => rig.run(over),
      tmp: () => rig.tmp,
      original: () => rig.original
    })
  }
)
