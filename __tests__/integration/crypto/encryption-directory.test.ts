/**
 * Encrypted backups end to end through the real core (`runJob` over `parseSettings`) with 'storage: directory':
 * backup → stored `<name>.zip.age` → the real `age` tool → `unzip -t`; verify and restore with the key or the
 * passphrase; the restored home equals the original. Owner-only modes of the stored file, the staged file, the job's
 * temp folders and the restore's work folder are checked while the jobs run.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { requireAgeTool, type AgeKeyPair } from '../../support/crypto.js'
import { scanForSecrets, describeFindings } from '../../support/secret-scan.js'
import {
  MANIFEST_KEYS,
  ageDecrypt,
  encryptedJobFixture,
  headOf,
  homeTree,
  knownText,
  modeOf,
  settingsFrom,
  unzipTest,
  watchPaths,
  type Core,
  type Inputs,
  encryptionModes
} from '../../support/e2e-secrets.js'
import { restoreEnvironmentAfterAll, useRunnerTemp } from '../../support/env.js'
import { Output } from '../../../src/shared/io-names.js'

let core: Core
let tmp: string
let home: string
let port: number
let keys: AgeKeyPair
let keyFile: string
let original: Record<string, string>
const PASSPHRASE = `e2e passphrase ${Math.random().toString(36).slice(2)} ü`

beforeAll(async () => {
  requireAgeTool()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-enc-dir-'))
  await useRunnerTemp(tmp)
  ;({ home, port, keyFile, keys, original, core } = await encryptedJobFixture(tmp))
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})
restoreEnvironmentAfterAll()

function inputs(over: Inputs): Inputs {
  return { storage: 'directory', path: path.join(tmp, 'backups'), port: String(port), ...over }
}

async function run(over: Inputs, logger = new MemoryLogger()) {
  return await core.runJob(settingsFrom(core, inputs(over)), logger)
}

describe.each(encryptionModes(() => keys, PASSPHRASE))(
  'encrypted with %s through directory storage',
  (kind, encryptWith, decryptWith) => {
    const name = `e2e-dir-${kind}`
    let stored: string

    test('backup writes <name>.zip.age, owner-only, staged owner-only, with no plaintext in it', async () => {
      const watch = watchPaths([path.join(tmp, 'backups'), process.env.RUNNER_TEMP!], n =>
        /^\.e2e-dir-.*\.partial-|^xlr-backup-/.test(n)
      )
      const result = await run({ mode: 'backup', name, home, 'compression-level': '0', ...encryptWith() })
      const seen = await watch.stop()
      stored = path.join(tmp, 'backups', `${name}.zip.age`)
      expect(await readdir(path.join(tmp, 'backups'))).toContain(`${name}.zip.age`)
      expect(await modeOf(stored)).toBe(0o600)
      // The staged file (written while the job ran) and the job's dump folder were owner-only from the start.
      const staged = seen.filter(s => s.path.includes('.partial-'))
      expect(staged.length).toBeGreaterThan(0)
      for (const s of seen) expect([s.path, s.mode]).toEqual([s.path, s.kind === 'dir' ? 0o700 : 0o600])
      expect(seen.some(s => s.kind === 'dir' && path.basename(s.path).startsWith('xlr-backup-'))).toBe(true)

      expect((await headOf(stored, 22)).toString('latin1')).toBe('age-encryption.org/v1\n')
      expect(result.outputs[Output.BackupName]).toBe(`${name}.zip.age`)
      // Stored as is (compression-level 0), a plaintext ZIP would hold the license text and the manifest's keys.
      const plain = [await knownText(home), ...MANIFEST_KEYS, 'home/conf/xl-release.conf']
      expect(describeFindings(await scanForSecrets(plain, { files: [stored] }))).toBe('')
      // The ciphertext holds the content: it is larger than the home's files together (stored, not compressed).
      const { size } = await stat(stored)
      expect(size).toBeGreaterThan(Number(result.outputs[Output.BackupSize] ?? 0) - 1)
      expect(size).toBeGreaterThan(1024 * 1024)
    })

    test('the real age tool decrypts it into a ZIP that unzip -t passes, holding the plaintext', async () => {
      const zip = path.join(tmp, `${name}.zip`)
      if (kind === 'recipients') {
        const r = ageDecrypt(keyFile, stored, zip)
        expect([r.code, r.stderr]).toEqual([0, ''])
      } else {
        const { runAgeWithTty } = await import('../../support/crypto.js')
        const r = await runAgeWithTty(['-d', '-o', zip, stored], PASSPHRASE)
        expect(r.code).toBe(0)
      }
      const t = unzipTest(zip)
      expect([t.code, t.stdout]).toEqual([0, expect.stringContaining('No errors detected')])
      expect(t.stdout).toContain('home/conf/xl-release.conf')
      expect(t.stdout).toContain('manifest.json')
      // Positive control: the same scan that found nothing in the ciphertext finds the plaintext in the ZIP.
      const plain = [await knownText(home), ...MANIFEST_KEYS]
      const found = await scanForSecrets(plain, { files: [zip] })
      expect(new Set(found.map(f => f.secret))).toEqual(new Set(plain.map((_, i) => i)))
      // The manifest says encrypted, and how, without any key or passphrase.
      const { execFileSync } = await import('node:child_process')
      const manifestText = execFileSync('unzip', ['-p', zip, 'manifest.json'], { encoding: 'utf8' })
      const manifest = JSON.parse(manifestText) as { encryption?: unknown }
      expect(manifest.encryption).toEqual(
        kind === 'recipients'
          ? { format: 'age', recipients: 1, passphrase: false }
          : { format: 'age', recipients: 0, passphrase: true }
      )
      const secrets = [PASSPHRASE, keys.identity]
      expect(describeFindings(await scanForSecrets(secrets, { texts: [manifestText] }))).toBe('')
      await rm(zip)
    })

    test('verify opens it with the key or passphrase', async () => {
      const logger = new MemoryLogger()
      const result = await run({ mode: 'verify', name, ...decryptWith() }, logger)
      expect(result.outputs[Output.Verified]).toBe('true')
      expect(result.summary.facts).toContainEqual(['Encrypted', 'yes (age)'])
    })

    test('restore into a new home gives back the original, through a 0700 work folder', async () => {
      const target = path.join(tmp, `restored-${kind}`)
      const watch = watchPaths([tmp, process.env.RUNNER_TEMP!], n => /^\.xlr-restore-|^xlr-restore-/.test(n), 1)
      await run({ mode: 'restore', name, home: target, components: 'all', ...decryptWith() })
      const seen = await watch.stop()
      expect(await homeTree(target)).toEqual(original)
      expect(seen.filter(s => s.kind === 'dir').length).toBeGreaterThan(0)
      for (const s of seen) expect([s.path, s.mode]).toEqual([s.path, s.kind === 'dir' ? 0o700 : 0o600])
      // The stored backup is untouched by a restore.
      expect((await stat(stored)).size).toBeGreaterThan(0)
    })
  }
)
