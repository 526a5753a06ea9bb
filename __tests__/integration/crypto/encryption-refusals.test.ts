/**
 * Refusals of encrypted (and required-encrypted) backups through the real core, 'storage: directory': every one is a
 * clear error naming the input to fix, repeats no key or passphrase, and leaves the home byte for byte unchanged.
 * Damaged ciphertexts are copied without their digest file, so age's own authentication is what refuses them.
 */
import { copyFile, mkdtemp, open, readdir, rm, stat, truncate } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { EncryptionError, InputError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { describeTree } from '../../support/archive-fixtures.js'
import { ageKeygen, requireAgeTool, type AgeKeyPair } from '../../support/crypto.js'
import { describeFindings, scanForSecrets } from '../../support/secret-scan.js'
import {
  expectFailure,
  loadCore,
  makeSmallHome,
  messagesOf,
  settingsFrom,
  type Core,
  type Inputs
} from '../../support/e2e-secrets.js'
import { restoreEnvironmentAfterAll, useRunnerTemp } from '../../support/env.js'
import { Output } from '../../../src/shared/io-names.js'

let core: Core
let tmp: string
let home: string
let backups: string
let port: number
let mine: AgeKeyPair
let other: AgeKeyPair
let before: Record<string, string>
const PASSPHRASE = `refusal passphrase ${Math.random().toString(36).slice(2)}`
const WRONG_PASSPHRASE = `not the passphrase ${Math.random().toString(36).slice(2)}`

function inputs(over: Inputs): Inputs {
  return { storage: 'directory', path: backups, port: String(port), home, ...over }
}

async function run(over: Inputs, logger = new MemoryLogger()) {
  return await core.runJob(settingsFrom(core, inputs(over)), logger)
}

beforeAll(async () => {
  requireAgeTool()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'e2e-enc-refuse-'))
  await useRunnerTemp(tmp)
  backups = path.join(tmp, 'backups')
  home = path.join(tmp, 'home')
  ;({ port } = await makeSmallHome(home))
  mine = await ageKeygen(path.join(tmp, 'mine.txt'))
  other = await ageKeygen(path.join(tmp, 'other.txt'))
  core = await loadCore()
  await run({ mode: 'backup', name: 'by-key', 'encryption-recipients': mine.recipient })
  await run({ mode: 'backup', name: 'by-pass', 'encryption-passphrase': PASSPHRASE })
  await run({ mode: 'backup', name: 'plain' })
  const names = await readdir(backups)
  expect(names).toEqual(expect.arrayContaining(['by-key.zip.age', 'by-pass.zip.age', 'plain.zip']))
  // Damaged copies, without a digest file: only age's authentication stands between them and the home.
  const size = (await stat(path.join(backups, 'by-key.zip.age'))).size
  await copyFile(path.join(backups, 'by-key.zip.age'), path.join(backups, 'flipped.zip.age'))
  const handle = await open(path.join(backups, 'flipped.zip.age'), 'r+')
  const at = Math.floor(size / 2)
  const byte = Buffer.alloc(1)
  await handle.read(byte, 0, 1, at)
  byte[0] ^= 0x01
  await handle.write(byte, 0, 1, at)
  await handle.close()
  await copyFile(path.join(backups, 'by-key.zip.age'), path.join(backups, 'truncated.zip.age'))
  await truncate(path.join(backups, 'truncated.zip.age'), size - 1000)
  // Cut exactly at a 64 KiB chunk boundary of the payload: the last chunk flag must catch it.
  await copyFile(path.join(backups, 'by-key.zip.age'), path.join(backups, 'cut-at-chunk.zip.age'))
  const headerEnd = await headerLength(path.join(backups, 'by-key.zip.age'))
  expect(size - headerEnd - 16).toBeGreaterThan(2 * (64 * 1024 + 16))
  await truncate(path.join(backups, 'cut-at-chunk.zip.age'), headerEnd + 16 + 64 * 1024 + 16)
  before = await describeTree(home)
}, 600_000)

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})
restoreEnvironmentAfterAll()

/** Bytes of the age header: up to and including the '--- <mac>\n' line. */
async function headerLength(file: string): Promise<number> {
  const handle = await open(file, 'r')
  try {
    const buf = Buffer.alloc(4096)
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0)
    const text = buf.subarray(0, bytesRead).toString('latin1')
    const mac = text.indexOf('\n--- ')
    return text.indexOf('\n', mac + 1) + 1
  } finally {
    await handle.close()
  }
}

const secrets = (): string[] => [PASSPHRASE, WRONG_PASSPHRASE, mine.identity, other.identity]

/** The job fails with `type`, says `says`, leaks no secret, leaves the home unchanged and no work folder behind. */
async function refused(over: Inputs, type: typeof EncryptionError | typeof InputError, says: RegExp): Promise<Error> {
  const logger = new MemoryLogger()
  const error = await expectFailure(() => run(over, logger))
  expect(error).toBeInstanceOf(type)
  expect(error.message).toMatch(says)
  const texts = [messagesOf(error), ...logger.messages()]
  expect(describeFindings(await scanForSecrets(secrets(), { texts }))).toBe('')
  expect(await describeTree(home)).toEqual(before)
  expect(await readdir(process.env.RUNNER_TEMP!)).toEqual([])
  return error
}

describe.each(['restore', 'verify'])('%s refuses', mode => {
  test('a wrong identity', async () => {
    await refused(
      { mode, name: 'by-key', 'decryption-identity': other.keyFile },
      EncryptionError,
      /decryption-identity/
    )
  })

  test('a wrong passphrase', async () => {
    await refused({ mode, name: 'by-pass', 'encryption-passphrase': WRONG_PASSPHRASE }, EncryptionError, /passphrase/i)
  })

  test('a passphrase for a key-encrypted backup', async () => {
    await refused({ mode, name: 'by-key', 'encryption-passphrase': PASSPHRASE }, EncryptionError, /decryption-identity/)
  })

  test('a public key given as the identity', async () => {
    await refused({ mode, name: 'by-key', 'decryption-identity': mine.recipient }, InputError, /decryption-identity/)
  })

  test('a flipped byte in the ciphertext (age authentication, no digest file)', async () => {
    await refused({ mode, name: 'flipped', 'decryption-identity': mine.keyFile }, EncryptionError, /authenticat/i)
  })

  test('a truncated ciphertext', async () => {
    await refused({ mode, name: 'truncated', 'decryption-identity': mine.keyFile }, EncryptionError, /./)
  })

  test('a ciphertext cut at a chunk boundary', async () => {
    await refused({ mode, name: 'cut-at-chunk', 'decryption-identity': mine.keyFile }, EncryptionError, /./)
  })

  test('an encrypted backup with no key given', async () => {
    const error = await refused({ mode, name: 'by-key' }, EncryptionError, /encrypted/)
    expect(error.message).toMatch(/decryption-identity/)
    expect(error.message).toMatch(/encryption-passphrase/)
  })

  test("a plaintext backup with 'require-encryption: true'", async () => {
    await refused({ mode, name: 'plain', 'require-encryption': 'true' }, EncryptionError, /require-encryption/)
  })
})

test('the damaged and refused backups are still in place (a refusal deletes no stored file)', async () => {
  expect(await readdir(backups)).toEqual(
    expect.arrayContaining([
      'by-key.zip.age',
      'by-pass.zip.age',
      'plain.zip',
      'flipped.zip.age',
      'truncated.zip.age',
      'cut-at-chunk.zip.age'
    ])
  )
})

test("a backup with 'require-encryption: true' and no recipients or passphrase is refused before anything is written", async () => {
  const listed = await readdir(backups)
  const logger = new MemoryLogger()
  const error = await expectFailure(() => run({ mode: 'backup', name: 'never', 'require-encryption': 'true' }, logger))
  expect(error).toBeInstanceOf(EncryptionError)
  expect(error.message).toMatch(/require-encryption/)
  expect(error.message).toMatch(/encryption-recipients/)
  expect(await readdir(backups)).toEqual(listed)
  expect(await describeTree(home)).toEqual(before)
  expect(await readdir(process.env.RUNNER_TEMP!)).toEqual([])
})

test('a good key still opens the backup the refusals were tried on (the refusals changed nothing)', async () => {
  const result = await run({ mode: 'verify', name: 'by-key', 'decryption-identity': mine.keyFile })
  expect(result.outputs[Output.Verified]).toBe('true')
})
