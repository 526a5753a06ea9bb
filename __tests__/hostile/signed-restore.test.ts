/**
 * With 'trusted-signers' set, restore and verify (the real core, storage: directory) refuse a backup that is
 * unsigned, signed by another key, carries another backup's signature, or is not the file its signature names —
 * before it is opened or decrypted (a refusal names the signature, never the archive or the age layer), and the
 * home stays byte-identical. A backup signed by a trusted key restores.
 */
import { createHash } from 'node:crypto'
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { SignatureError } from '../../src/shared/errors.js'
import { Input } from '../../src/settings/inputs.js'
import { makeCompanion } from '../../src/signing/companion.js'
import { parsePrivateKey } from '../../src/signing/ssh-keys.js'
import { exactTree, makeDbHome, reseal, run, runFailing, type Inputs } from '../support/e2e-restore.js'
import { signingFixture } from '../support/signing-fixtures.js'

let tmp: string
let store: string
let home: string
let signerKey: string
let strangerKey: string
let trusted: string
let signedLog: string[]

async function backup(name: string, key: string | null, over: Inputs = {}): Promise<string[]> {
  const { logger } = await run({
    [Input.Home]: home,
    [Input.Storage]: 'directory',
    [Input.Path]: store,
    [Input.Name]: name,
    [Input.Database]: 'none',
    [Input.Threads]: '2',
    ...(key ? { [Input.SigningKey]: key } : {}),
    ...over
  })
  return logger.messages()
}

function restore(name: string, mode: 'restore' | 'verify' = 'restore', over: Inputs = {}): Inputs {
  return {
    [Input.Mode]: mode,
    ...(mode === 'restore' ? { [Input.Home]: home } : {}),
    [Input.Storage]: 'directory',
    [Input.Path]: store,
    [Input.Name]: name,
    [Input.Database]: 'none',
    [Input.Threads]: '2',
    [Input.TrustedSigners]: trusted,
    ...over
  }
}

/** Runs a restore (and a verify) that must be refused by the signature check, and proves the home untouched. */
async function refused(name: string, over: Inputs = {}): Promise<string> {
  const before = await exactTree(home)
  const { error } = await runFailing(restore(name, 'restore', over))
  expect(error).toBeInstanceOf(SignatureError)
  const verify = await runFailing(restore(name, 'verify', over))
  expect(verify.error).toBeInstanceOf(SignatureError)
  expect(verify.error.message).toBe(error.message)
  expect(await exactTree(home)).toBe(before)
  return error.message
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'signed-restore-'))
  store = path.join(tmp, 'store')
  ;({ dir: home } = await makeDbHome(path.join(tmp, 'home'), {}))
  signerKey = signingFixture('signer')
  strangerKey = signingFixture('stranger')
  trusted = `# the nightly job's key\n${signingFixture('signer.pub')}`
  signedLog = await backup('signed', signerKey)
  await backup('unsigned', null)
  await backup('foreign', strangerKey)
  await backup('encrypted', null, {
    [Input.EncryptionRecipients]: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
  })
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('restore and verify with trusted-signers', () => {
  it('restore and verify a backup signed by a trusted key, and say so', async () => {
    expect((await readdir(store)).filter(f => f.startsWith('signed'))).toEqual([
      'signed.zip',
      'signed.zip.sha256',
      'signed.zip.sig'
    ])
    expect(signedLog).toContain(
      `Signed signed.zip with key ${parsePrivateKey(signerKey).fingerprint} (xlr-test-signer): signed.zip.sig`
    )
    // No line of the private key's body reaches the log or the companion.
    const companion = await readFile(path.join(store, 'signed.zip.sig'), 'utf8')
    for (const line of signerKey.split('\n').filter(l => /^[A-Za-z0-9+/=]{20,}$/.test(l))) {
      expect(signedLog.join('\n')).not.toContain(line)
      expect(companion).not.toContain(line)
    }
    const verified = await run(restore('signed', 'verify'))
    expect(verified.logger.messages().join('\n')).toMatch(
      /Signature of signed\.zip checked: signed by xlr-test-signer \(SHA256:/
    )
    const restored = await run(restore('signed'))
    expect(restored.logger.messages().join('\n')).toContain('Signature of signed.zip checked')
  })

  it('verify an encrypted signed backup: the statement pins the ciphertext, the manifest is checked once decrypted', async () => {
    const passphrase = 'correct horse battery staple'
    await backup('sealed', signerKey, { [Input.EncryptionPassphrase]: passphrase })
    const companion = await readFile(path.join(store, 'sealed.zip.age.sig'), 'utf8')
    expect(companion).toContain(`sha256: ${sha256(await readFile(path.join(store, 'sealed.zip.age')))}`)
    const { logger } = await run(restore('sealed', 'verify', { [Input.EncryptionPassphrase]: passphrase }))
    expect(logger.messages().join('\n')).toContain('Signature of sealed.zip.age checked')
  })

  it('refuse an unsigned backup before it is opened: the same refusal for a file that is no archive at all', async () => {
    const message = await refused('unsigned')
    expect(message).toContain(
      "Backup unsigned.zip is not signed (no unsigned.zip.sig next to it), and 'trusted-signers' is set"
    )
    await writeFile(path.join(store, 'garbage.zip'), 'not a zip file at all')
    await reseal(path.join(store, 'garbage.zip'))
    expect(await refused('garbage')).toContain('Backup garbage.zip is not signed')
  })

  it('refuse an encrypted unsigned backup before decrypting it (no identity given: the signature speaks first)', async () => {
    expect(await refused('encrypted')).toContain('Backup encrypted.zip.age is not signed')
  })

  it('refuse a backup signed by a key not in trusted-signers, naming its fingerprint', async () => {
    const stranger = parsePrivateKey(strangerKey)
    expect(await refused('foreign')).toContain(
      `Backup foreign.zip is signed by key ${stranger.fingerprint}, which is not in 'trusted-signers'`
    )
  })

  it("refuse another backup's signature copied next to an unsigned one", async () => {
    await copyFile(path.join(store, 'unsigned.zip'), path.join(store, 'copied.zip'))
    await reseal(path.join(store, 'copied.zip'))
    await copyFile(path.join(store, 'signed.zip.sig'), path.join(store, 'copied.zip.sig'))
    expect(await refused('copied')).toContain('was made for another backup, signed.zip')
  })

  it('refuse a backup swapped for another under a signed name (digest file rewritten to match)', async () => {
    await copyFile(path.join(store, 'unsigned.zip'), path.join(store, 'swapped.zip'))
    await reseal(path.join(store, 'swapped.zip'))
    const signed = await readFile(path.join(store, 'signed.zip'))
    const manifest = (await readFile(path.join(store, 'signed.zip.sig'), 'utf8')).match(/manifest-sha256: (\w+)/)![1]
    const key = parsePrivateKey(signerKey)
    await writeFile(
      path.join(store, 'swapped.zip.sig'),
      makeCompanion({ file: 'swapped.zip', sha256: sha256(signed), manifestSha256: manifest }, key)
    )
    expect(await refused('swapped')).toContain('Backup swapped.zip is not the file its signature names')
    // With the digest file gone too, the signed digest still pins the bytes read.
    await rm(path.join(store, 'swapped.zip.sha256'))
    const before = await exactTree(home)
    const { error } = await runFailing(restore('swapped'))
    expect(error.message).toMatch(/does not match its digest file: expected sha256 [0-9a-f]{64}, read/)
    expect(await exactTree(home)).toBe(before)
  })

  it('refuse a backup whose signed manifest digest is not its manifest', async () => {
    await copyFile(path.join(store, 'unsigned.zip'), path.join(store, 'manifest.zip'))
    await reseal(path.join(store, 'manifest.zip'))
    const bytes = await readFile(path.join(store, 'manifest.zip'))
    await writeFile(
      path.join(store, 'manifest.zip.sig'),
      makeCompanion(
        { file: 'manifest.zip', sha256: sha256(bytes), manifestSha256: '0'.repeat(64) },
        parsePrivateKey(signerKey)
      )
    )
    expect(await refused('manifest')).toMatch(/The manifest of backup manifest\.zip is not the one its signature names/)
  })

  it('never take a .sig companion for a backup when picking by name-prefix', async () => {
    const { logger } = await run(restore('', 'verify', { [Input.Name]: '', [Input.NamePrefix]: 'signed' }))
    expect(logger.messages().join('\n')).toContain('Signature of signed.zip checked')
  })
})
