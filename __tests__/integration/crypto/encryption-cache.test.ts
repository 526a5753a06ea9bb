/**
 * Encrypted backups end to end through the real core with 'storage: cache': the real @actions/cache client saves
 * `<name>.zip.age` (in a zstd tar) to the local emulator; the file inside the entry the service holds is an age file
 * with no plaintext that the real `age` opens into a ZIP `unzip -t` passes; verify and restore fetch it back with the
 * key or the passphrase, and the restored home equals the original. The emulator's environment (and the workspace
 * the cache client tars from) is set before the core is imported.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { jest } from '@jest/globals'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { startCacheEmulator, type CacheEmulator } from '../../support/cache-emulator.js'
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

let emu: CacheEmulator
let core: Core
let tmp: string
let home: string
let port: number
let keys: AgeKeyPair
let original: Record<string, string>
const PASSPHRASE = `cache passphrase ${Math.random().toString(36).slice(2)}`

beforeAll(async () => {
  requireAgeTool()
  hideToolkitOutput()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-enc-cache-'))
  await useRunnerTemp(tmp)
  const workspace = path.join(tmp, 'workspace')
  await mkdir(workspace)
  emu = await startCacheEmulator()
  Object.assign(process.env, emu.env, { GITHUB_WORKSPACE: workspace })
  process.chdir(workspace)
  ;({ home, port, keys, original, core } = await encryptedJobFixture(tmp))
}, 300_000)

afterAll(async () => {
  await emu?.close()
  jest.restoreAllMocks()
  await rm(tmp, { recursive: true, force: true })
})
restoreEnvironmentAfterAll()

async function run(over: Inputs) {
  return await core.runJob(settingsFrom(core, { storage: 'cache', port: String(port), ...over }), new MemoryLogger())
}

describe.each(encryptionModes(() => keys, PASSPHRASE))(
  'encrypted with %s through cache storage',
  (kind, encryptWith, decryptWith) => {
    const name = `e2e-cache-${kind}`

    test('the file inside the saved cache entry is an age file with no plaintext, that age and unzip open', async () => {
      await run({ mode: 'backup', name, home, 'compression-level': '0', ...encryptWith() })
      const entries = emu.entries().filter(e => e.finalized && e.key.includes(name))
      expect(entries.map(e => e.key)).toEqual([`xlr-backup-${name}.zip.age`])
      // The entry is a zstd tar of the cache folder: unpack it to reach the stored file itself.
      const unpacked = path.join(tmp, `entry-${kind}`)
      await mkdir(unpacked)
      execFileSync('sh', ['-c', 'zstd -q -d -c "$1" | tar -x -C "$2"', 'sh', entries[0].blobFile, unpacked])
      const files = (await readdir(unpacked, { recursive: true })).filter(f => f.endsWith('.age'))
      expect(files.map(f => path.basename(f))).toEqual([`${name}.zip.age`])
      const problems = await checkCiphertext(
        ciphertextCheck(kind, path.join(unpacked, files[0]), { home, tmp, keys, passphrase: PASSPHRASE })
      )
      expect(problems).toBe('')
    })

    fetchBackTests(kind, name, decryptWith, { run, tmp: () => tmp, original: () => original })
  }
)
