/**
 * Signatures through the bundled CLI, as a user runs it: the signing key only from the environment (never a flag),
 * a signed backup verifies with its public key, an unsigned one and one checked against another key are refused
 * with exit code 1 and a message naming the backup, the key's fingerprint and the input.
 */
import { readdir } from 'node:fs/promises'
import { parsePrivateKey } from '../../src/signing/ssh-keys.js'
import { frontEndScene, runCli } from '../support/e2e-frontends.js'
import { signingFixture } from '../support/signing-fixtures.js'

let home: string
let dest: string
let port: string

frontEndScene('e2e-signatures-', made => ({ home, port, backups: dest } = made))

const common = (): string[] => ['--storage', 'directory', '--path', dest, '--port', port, '--threads', '2']

test('the signing key is a secret: refused as a flag', async () => {
  const run = await runCli(['backup', '--home', home, ...common(), '--signing-key', 'x'])
  expect(run.code).toBe(2)
  expect(run.stderr).toContain('--signing-key would put a secret in the process list; set XLR_SIGNING_KEY')
})

test('sign with XLR_SIGNING_KEY, verify with --trusted-signers; unsigned and untrusted refused', async () => {
  const key = signingFixture('signer')
  const signed = await runCli(['backup', '--home', home, ...common(), '--name', 'signed', '--database', 'none'], {
    XLR_SIGNING_KEY: key
  })
  expect({ code: signed.code, stderr: signed.code === 0 ? '' : signed.stderr }).toEqual({ code: 0, stderr: '' })
  expect((await readdir(dest)).sort()).toEqual(['signed.zip', 'signed.zip.sha256', 'signed.zip.sig'])
  // The key never reaches the output.
  expect(`${signed.stdout}${signed.stderr}`).not.toContain(key.split('\n')[2])

  const trusted = signingFixture('signer.pub')
  const ok = await runCli(['verify', ...common(), '--name', 'signed', '--trusted-signers', trusted])
  expect({ code: ok.code, stderr: ok.code === 0 ? '' : ok.stderr }).toEqual({ code: 0, stderr: '' })

  const unsigned = await runCli(['backup', '--home', home, ...common(), '--name', 'unsigned', '--database', 'none'])
  expect(unsigned.code).toBe(0)
  const refused = await runCli(['verify', ...common(), '--name', 'unsigned', '--trusted-signers', trusted])
  expect(refused.code).toBe(1)
  expect(refused.stderr).toContain(
    "Backup unsigned.zip is not signed (no unsigned.zip.sig next to it), and 'trusted-signers' is set"
  )
  expect(refused.stderr).not.toContain('unexpected error')

  const other = await runCli([
    'verify',
    ...common(),
    '--name',
    'signed',
    '--trusted-signers',
    signingFixture('stranger.pub')
  ])
  expect(other.code).toBe(1)
  expect(other.stderr).toContain(
    `Backup signed.zip is signed by key ${parsePrivateKey(key).fingerprint}, which is not in 'trusted-signers'`
  )
})
