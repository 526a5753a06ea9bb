/** Interop with the real age tools (Debian package 'age'): what we write, age opens, and what age writes, we open. */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createDecryptStream, createEncryptStream } from '../../../src/crypto/index.js'
import { EncryptionError } from '../../../src/shared/errors.js'
import { ageKeygen, requireAgeTool, run, runAgeWithTty, sha256File, type AgeKeyPair } from '../../support/crypto.js'
import { scratchFolder } from '../../support/scratch.js'

const PASSPHRASE = 'crypto-cli-Secret-41d2'
// Several chunks plus a partial one; and exactly two chunks, whose last chunk is full.
const SIZES = [3 * 65536 + 999, 2 * 65536]

let dir: string
let key: AgeKeyPair
let keyFile: string

scratchFolder('crypto-cli-', made => (dir = made))
beforeAll(async () => {
  requireAgeTool()
  keyFile = path.join(dir, 'key.txt')
  key = await ageKeygen(keyFile)
})

async function plainFile(name: string, size: number): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, randomBytes(size))
  return file
}

async function encryptFile(input: string, output: string, settings: { recipients: string[]; passphrase?: string }) {
  await pipeline(createReadStream(input), await createEncryptStream(settings), createWriteStream(output))
}

async function decryptFile(input: string, output: string, settings: { identities: string[]; passphrase?: string }) {
  await pipeline(createReadStream(input), await createDecryptStream(settings), createWriteStream(output))
}

describe.each(SIZES)('%i bytes', size => {
  let plain: string
  beforeAll(async () => {
    plain = await plainFile(`plain-${size}`, size)
  })

  it('ours, to a recipient made by age-keygen, opens with age -d -i key.txt', async () => {
    const other = await ageKeygen(path.join(dir, `other-${size}.txt`))
    const encrypted = path.join(dir, `ours-${size}.age`)
    await encryptFile(plain, encrypted, { recipients: [other.recipient, key.recipient] })
    const out = path.join(dir, `ours-${size}.out`)
    const result = await run('age', ['-d', '-i', keyFile, '-o', out, encrypted])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(await sha256File(out)).toBe(await sha256File(plain))
  })

  it('ours, with a passphrase, opens with age -d and the passphrase typed on a terminal', async () => {
    const encrypted = path.join(dir, `ours-pass-${size}.age`)
    await encryptFile(plain, encrypted, { recipients: [], passphrase: PASSPHRASE })
    const out = path.join(dir, `ours-pass-${size}.out`)
    const result = await runAgeWithTty(['-d', '-o', out, encrypted], PASSPHRASE)
    expect(result.code).toBe(0)
    expect(await sha256File(out)).toBe(await sha256File(plain))
  })

  it("age -r's file opens with ours, given the whole key file as decryption-identity", async () => {
    const encrypted = path.join(dir, `cli-${size}.age`)
    expect((await run('age', ['-r', key.recipient, '-o', encrypted, plain])).code).toBe(0)
    const out = path.join(dir, `cli-${size}.out`)
    await decryptFile(encrypted, out, { identities: [key.keyFile] })
    expect(await sha256File(out)).toBe(await sha256File(plain))
  })

  it("age -p's file opens with ours and the passphrase", async () => {
    const encrypted = path.join(dir, `cli-pass-${size}.age`)
    const made = await runAgeWithTty(['-p', '-o', encrypted, plain], PASSPHRASE)
    expect(made.code).toBe(0)
    expect((await readFile(encrypted)).toString('latin1', 0, 40)).toMatch(/^age-encryption.org\/v1\n-> scrypt /)
    const out = path.join(dir, `cli-pass-${size}.out`)
    await decryptFile(encrypted, out, { identities: [], passphrase: PASSPHRASE })
    expect(await sha256File(out)).toBe(await sha256File(plain))
  })
})

it('an age file of a kind we cannot open (SSH recipient) is refused with the way to open it by hand', async () => {
  // An OpenSSH ed25519 public key, built here so the test needs no ssh-keygen.
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
  const sshKey = path.join(dir, 'id_ed25519.pub')
  await writeFile(
    sshKey,
    `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} test\n`
  )
  const encrypted = path.join(dir, 'ssh.age')
  expect((await run('age', ['-R', sshKey, '-o', encrypted], 'hello')).code).toBe(0)
  const decrypt = await createDecryptStream({ identities: [key.identity] })
  await expect(
    pipeline(Readable.from([await readFile(encrypted)]), decrypt, async function* (s) {
      for await (const _ of s) yield _
    })
  ).rejects.toThrow(/recipients of a kind this tool cannot use \(ssh-ed25519/)
})

it('age refuses a truncated file of ours too (the format, not just our reader, detects it)', async () => {
  const plain = await plainFile('plain-trunc', 200_000)
  const encrypted = path.join(dir, 'trunc.age')
  await encryptFile(plain, encrypted, { recipients: [key.recipient] })
  const whole = await readFile(encrypted)
  await writeFile(encrypted, whole.subarray(0, whole.length - 100))
  const result = await run('age', ['-d', '-i', keyFile, '-o', path.join(dir, 'trunc.out'), encrypted])
  expect(result.code).not.toBe(0)
  await expect(decryptFile(encrypted, path.join(dir, 'trunc.ours'), { identities: [key.identity] })).rejects.toThrow(
    EncryptionError
  )
})
