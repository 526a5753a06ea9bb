/**
 * Encrypted backups end to end through the real core with 'storage: artifact': the real @actions/artifact client
 * uploads `<name>.zip.age` to the local emulator; the blob the service holds is an age file with no plaintext that the
 * real `age` opens into a ZIP `unzip -t` passes; verify and restore fetch it back with the key or the passphrase, and
 * the restored home equals the original. The emulator's environment is set before the core is imported.
 */
import { startArtifactEmulator } from '../../support/artifact-emulator.js'
import { encryptedStorageRig, encryptedStorageTests } from '../../support/encrypted-storage.js'

const PASSPHRASE = `artifact passphrase ${Math.random().toString(36).slice(2)}`

const rig = encryptedStorageRig('artifact', 'e2e-enc-art-', async () => {
  const emu = await startArtifactEmulator()
  Object.assign(process.env, emu.env)
  return emu
})

encryptedStorageTests(rig, PASSPHRASE, 'e2e-art', {
  title: 'the uploaded artifact is an age file with no plaintext, that age and unzip open',
  file: async (_kind, name) => {
    const stored = rig.emu.artifacts().filter(a => a.finalized && a.name.startsWith(name))
    expect(stored.map(a => a.name)).toEqual([`${name}.zip.age`])
    return stored[0].blobFile
  }
})
