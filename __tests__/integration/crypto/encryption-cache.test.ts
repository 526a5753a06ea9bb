/**
 * Encrypted backups end to end through the real core with 'storage: cache': the real @actions/cache client saves
 * `<name>.zip.age` (in a zstd tar) to the local emulator; the file inside the entry the service holds is an age file
 * with no plaintext that the real `age` opens into a ZIP `unzip -t` passes; verify and restore fetch it back with the
 * key or the passphrase, and the restored home equals the original. The emulator's environment (and the workspace
 * the cache client tars from) is set before the core is imported.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readdir } from 'node:fs/promises'
import * as path from 'node:path'
import { startCacheEmulator } from '../../support/cache-emulator.js'
import { encryptedStorageRig, encryptedStorageTests } from '../../support/encrypted-storage.js'

const PASSPHRASE = `cache passphrase ${Math.random().toString(36).slice(2)}`

const rig = encryptedStorageRig('cache', 'e2e-enc-cache-', async tmp => {
  const workspace = path.join(tmp, 'workspace')
  await mkdir(workspace)
  const emu = await startCacheEmulator()
  Object.assign(process.env, emu.env, { GITHUB_WORKSPACE: workspace })
  process.chdir(workspace)
  return emu
})

encryptedStorageTests(rig, PASSPHRASE, 'e2e-cache', {
  title: 'the file inside the saved cache entry is an age file with no plaintext, that age and unzip open',
  file: async (kind, name) => {
    const entries = rig.emu.entries().filter(e => e.finalized && e.key.includes(name))
    expect(entries.map(e => e.key)).toEqual([`xlr-backup-${name}.zip.age`])
    // The entry is a zstd tar of the cache folder: unpack it to reach the stored file itself.
    const unpacked = path.join(rig.tmp, `entry-${kind}`)
    await mkdir(unpacked)
    execFileSync('sh', ['-c', 'zstd -q -d -c "$1" | tar -x -C "$2"', 'sh', entries[0].blobFile, unpacked])
    const files = (await readdir(unpacked, { recursive: true })).filter(f => f.endsWith('.age'))
    expect(files.map(f => path.basename(f))).toEqual([`${name}.zip.age`])
    return path.join(unpacked, files[0])
  }
})
