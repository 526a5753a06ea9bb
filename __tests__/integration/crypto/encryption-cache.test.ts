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
import { ageKeygen, requireAgeTool, type AgeKeyPair } from '../../support/crypto.js'
import {
  checkCiphertext,
  homeTree,
  loadCore,
  makeSmallHome,
  settingsFrom,
  type Core,
  type Inputs,
  encryptionModes
} from '../../support/e2e-secrets.js'

let emu: CacheEmulator
let core: Core
let tmp: string
let home: string
let port: number
let keys: AgeKeyPair
let original: Record<string, string>
const savedEnv = { ...process.env }
const savedCwd = process.cwd()
const PASSPHRASE = `cache passphrase ${Math.random().toString(36).slice(2)}`

beforeAll(async () => {
  requireAgeTool()
  // The toolkit prints workflow commands (::debug::, ::add-mask::) on stdout; keep the test output readable.
  const write = process.stdout.write.bind(process.stdout)
  jest
    .spyOn(process.stdout, 'write')
    .mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) =>
      /^(::|\[command\])/.test(String(chunk)) ? true : write(chunk, ...rest)) as typeof process.stdout.write)
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-enc-cache-'))
  await mkdir(path.join(tmp, 'runner-temp'))
  const workspace = path.join(tmp, 'workspace')
  await mkdir(workspace)
  emu = await startCacheEmulator()
  Object.assign(process.env, emu.env, { RUNNER_TEMP: path.join(tmp, 'runner-temp'), GITHUB_WORKSPACE: workspace })
  process.chdir(workspace)
  home = path.join(tmp, 'home')
  ;({ port } = await makeSmallHome(home))
  keys = await ageKeygen(path.join(tmp, 'key.txt'))
  original = await homeTree(home)
  core = await loadCore()
}, 300_000)

afterAll(async () => {
  process.chdir(savedCwd)
  await emu?.close()
  process.env = savedEnv
  jest.restoreAllMocks()
  await rm(tmp, { recursive: true, force: true })
})

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
      const problems = await checkCiphertext({
        file: path.join(unpacked, files[0]),
        home,
        scratch: tmp,
        key: kind === 'recipients' ? { keyFile: path.join(tmp, 'key.txt') } : { passphrase: PASSPHRASE },
        encryption:
          kind === 'recipients'
            ? { format: 'age', recipients: 1, passphrase: false }
            : { format: 'age', recipients: 0, passphrase: true },
        secrets: [PASSPHRASE, keys.identity]
      })
      expect(problems).toBe('')
    })

    test('verify fetches and opens it', async () => {
      const result = await run({ mode: 'verify', name, ...decryptWith() })
      expect(result.outputs['verified' as never]).toBe('true')
      expect(result.summary.facts).toContainEqual(['Encrypted', 'yes (age)'])
    })

    test('restore into a new home gives back the original', async () => {
      const target = path.join(tmp, `restored-${kind}`)
      await run({ mode: 'restore', name, home: target, components: 'all', ...decryptWith() })
      expect(await homeTree(target)).toEqual(original)
    })
  }
)
