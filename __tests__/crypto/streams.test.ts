import { createHash, randomBytes } from 'node:crypto'
import { writeFile, chmod } from 'node:fs/promises'
import * as path from 'node:path'
import { Decrypter, generateIdentity, identityToRecipient } from 'age-encryption'
import {
  assertEncryptedIfRequired,
  createDecryptStream,
  createEncryptStream,
  encryptedFileName,
  isAgeFile
} from '../../src/crypto/index.js'
import { EncryptionError } from '../../src/shared/errors.js'
import { throughTransform, throughTransformCatching } from '../support/crypto.js'
import { describeFindings, scanForSecrets } from '../support/secret-scan.js'
import { scratchFolder } from '../support/scratch.js'

const CHUNK = 64 * 1024
const SEALED = CHUNK + 16
const FAST = { scryptLogN: 10 }
const PASSPHRASE = 'crypto-test-Pass-7f3a9c'

let identity: string
let recipient: string
let otherIdentity: string
const errorMessages: string[] = []

/** Buffers are compared by digest: Jest's toEqual walks them byte by byte, which takes seconds. */
function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function encrypt(plaintext: Buffer, settings: { recipients: string[]; passphrase?: string }): Promise<Buffer> {
  return await throughTransform(await createEncryptStream(settings, FAST), plaintext)
}

async function decrypt(ciphertext: Buffer, settings: { identities: string[]; passphrase?: string }): Promise<Buffer> {
  return await throughTransform(await createDecryptStream(settings), ciphertext)
}

/** Decrypts expecting an EncryptionError; also checks the failure released no more than `maxOutput` bytes. */
async function refused(
  ciphertext: Buffer,
  settings: { identities: string[]; passphrase?: string },
  maxOutput = 0
): Promise<EncryptionError> {
  const { output, error } = await throughTransformCatching(await createDecryptStream(settings), ciphertext)
  expect(error).toBeInstanceOf(EncryptionError)
  expect(output.length).toBeLessThanOrEqual(maxOutput)
  errorMessages.push((error as Error).message)
  return error as EncryptionError
}

beforeAll(async () => {
  identity = await generateIdentity()
  recipient = await identityToRecipient(identity)
  otherIdentity = await generateIdentity()
})

describe('round trips', () => {
  // Sizes around the 64 KiB chunk: empty, one byte, a full last chunk, one byte over, several chunks.
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 12345])(
    '%i bytes with a recipient',
    async size => {
      const plaintext = randomBytes(size)
      const ciphertext = await encrypt(plaintext, { recipients: [recipient] })
      expect(ciphertext.length).toBe(
        ciphertext.indexOf('\n--- ') +
          ciphertext.subarray(ciphertext.indexOf('\n--- ') + 1).indexOf('\n') +
          2 +
          16 +
          size +
          16 * Math.max(1, Math.ceil(size / CHUNK))
      )
      expect(digest(await decrypt(ciphertext, { identities: [identity] }))).toBe(digest(plaintext))
    }
  )

  it('decrypts with the reference implementation (age-encryption), and the other way round', async () => {
    const plaintext = randomBytes(2 * CHUNK + 7)
    const ours = await encrypt(plaintext, { recipients: [recipient] })
    const reference = new Decrypter()
    reference.addIdentity(identity)
    expect(digest(Buffer.from(await reference.decrypt(ours)))).toBe(digest(plaintext))
  })

  it('opens with any one of several recipients, and with a key list holding a wrong key first', async () => {
    const plaintext = randomBytes(100_000)
    const second = await generateIdentity()
    const ciphertext = await encrypt(plaintext, { recipients: [recipient, await identityToRecipient(second)] })
    expect(digest(await decrypt(ciphertext, { identities: [second] }))).toBe(digest(plaintext))
    expect(digest(await decrypt(ciphertext, { identities: [`${otherIdentity}\n${identity}`] }))).toBe(digest(plaintext))
  })

  it('round-trips with a passphrase (scrypt recipient), also at age’s default work factor', async () => {
    const plaintext = randomBytes(CHUNK + 5)
    const ciphertext = await encrypt(plaintext, { recipients: [], passphrase: PASSPHRASE })
    expect(ciphertext.toString('latin1', 0, 100)).toMatch(/^age-encryption.org\/v1\n-> scrypt \S+ 10\n/)
    expect(digest(await decrypt(ciphertext, { identities: [], passphrase: PASSPHRASE }))).toBe(digest(plaintext))

    const standard = await throughTransform(
      await createEncryptStream({ recipients: [], passphrase: PASSPHRASE }),
      plaintext
    )
    expect(standard.toString('latin1', 0, 100)).toMatch(/-> scrypt \S+ 18\n/)
    expect(digest(await decrypt(standard, { identities: [], passphrase: PASSPHRASE }))).toBe(digest(plaintext))
  })

  it('reads a file that arrives a few bytes at a time (header, nonce and chunks split across writes)', async () => {
    const plaintext = randomBytes(CHUNK + 300)
    const ciphertext = await encrypt(plaintext, { recipients: [recipient] })
    const out = await throughTransform(await createDecryptStream({ identities: [identity] }), ciphertext, 7)
    expect(digest(out)).toBe(digest(plaintext))
  })

  it('uses a fresh file key and nonce each time', async () => {
    const plaintext = Buffer.alloc(1000)
    const a = await encrypt(plaintext, { recipients: [recipient] })
    const b = await encrypt(plaintext, { recipients: [recipient] })
    expect(digest(a.subarray(-1016))).not.toBe(digest(b.subarray(-1016)))
  })
})

describe('refusals', () => {
  let plaintext: Buffer
  let ciphertext: Buffer
  let payloadStart: number
  beforeAll(async () => {
    plaintext = randomBytes(5 * CHUNK + 1000)
    ciphertext = await encrypt(plaintext, { recipients: [recipient] })
    payloadStart = ciphertext.length - (plaintext.length + 6 * 16)
  })

  it('wrong key', async () => {
    const error = await refused(ciphertext, { identities: [otherIdentity] })
    expect(error.message).toMatch(
      /None of the given identities \('decryption-identity'\) can open this backup — it was encrypted to other recipients/
    )
  })

  it('wrong passphrase', async () => {
    const locked = await encrypt(plaintext, { recipients: [], passphrase: PASSPHRASE })
    const error = await refused(locked, { identities: [], passphrase: 'crypto-test-wrong-99' })
    expect(error.message).toMatch(/passphrase \('encryption-passphrase'\) is wrong/)
  })

  it('a key of the wrong kind for the file: passphrase file with only an identity, key file with only a passphrase', async () => {
    const locked = await encrypt(plaintext, { recipients: [], passphrase: PASSPHRASE })
    expect((await refused(locked, { identities: [identity] })).message).toMatch(
      /encrypted with a passphrase; set 'encryption-passphrase'/
    )
    expect((await refused(ciphertext, { identities: [], passphrase: PASSPHRASE })).message).toMatch(
      /encrypted to age public keys; set 'decryption-identity'/
    )
  })

  it('no key at all', async () => {
    await expect(createDecryptStream({ identities: [] })).rejects.toThrow(
      /This backup is encrypted; set 'decryption-identity' or 'encryption-passphrase'/
    )
  })

  it('a flipped byte in a middle chunk: refused there, nothing after it released', async () => {
    const tampered = Buffer.from(ciphertext)
    tampered[payloadStart + 2 * SEALED + 100] ^= 0x01
    const error = await refused(tampered, { identities: [identity] }, 2 * CHUNK)
    expect(error.message).toMatch(/modified or is damaged: chunk 3 .* failed authentication/)
  })

  it('a flipped byte in the last chunk: the stream errors instead of ending', async () => {
    const tampered = Buffer.from(ciphertext)
    tampered[tampered.length - 20] ^= 0x80
    const error = await refused(tampered, { identities: [identity] }, 5 * CHUNK)
    expect(error.message).toMatch(/truncated or was modified: its last chunk \(6\) failed authentication/)
  })

  it('a flipped byte in the header (MAC) or the payload nonce', async () => {
    const header = Buffer.from(ciphertext)
    header[ciphertext.indexOf('\n--- ') + 8] ^= 0x02
    expect((await refused(header, { identities: [identity] })).message).toMatch(/header/)
    const nonce = Buffer.from(ciphertext)
    nonce[payloadStart - 3] ^= 0x01
    expect((await refused(nonce, { identities: [identity] })).message).toMatch(/chunk 1 .* failed authentication/)
  })

  it('truncated inside a chunk, at a chunk boundary, after the header, inside the header', async () => {
    expect(
      (await refused(ciphertext.subarray(0, payloadStart + 3 * SEALED + 500), { identities: [identity] }, 3 * CHUNK))
        .message
    ).toMatch(/truncated or was modified: its last chunk \(4\)/)
    expect(
      (await refused(ciphertext.subarray(0, payloadStart + 3 * SEALED), { identities: [identity] }, 2 * CHUNK)).message
    ).toMatch(/truncated: it ends after chunk 3, where more data was expected/)
    expect((await refused(ciphertext.subarray(0, payloadStart), { identities: [identity] })).message).toMatch(
      /truncated: it ends right after its header/
    )
    expect((await refused(ciphertext.subarray(0, 40), { identities: [identity] })).message).toMatch(
      /ends inside its age header/
    )
    expect((await refused(Buffer.alloc(0), { identities: [identity] })).message).toMatch(/truncated or empty/)
  })

  it('data appended after the last chunk', async () => {
    const longer = Buffer.concat([ciphertext, Buffer.from('extra')])
    await refused(longer, { identities: [identity] }, 5 * CHUNK)
  })

  it('a file that is not age, and an armored age file', async () => {
    expect((await refused(Buffer.from('PK\x03\x04 a zip file'), { identities: [identity] })).message).toMatch(
      /not an age-encrypted file/
    )
    expect(
      (await refused(Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n'), { identities: [identity] })).message
    ).toMatch(/ASCII-armored/)
  })

  it('a header of unbounded size', async () => {
    const huge = Buffer.concat([Buffer.from('age-encryption.org/v1\n-> X25519 '), Buffer.alloc(1100 * 1024, 0x41)])
    expect((await refused(huge, { identities: [identity] })).message).toMatch(/header is over/)
  })

  it('no refusal repeats a key or passphrase', async () => {
    const findings = await scanForSecrets([identity, otherIdentity, PASSPHRASE, 'crypto-test-wrong-99'], {
      texts: errorMessages
    })
    expect(errorMessages.length).toBeGreaterThan(10)
    expect(describeFindings(findings)).toBe('')
  })
})

describe('file conventions', () => {
  let dir: string
  scratchFolder('crypto-files-', made => (dir = made))

  it('names encrypted backups <name>.zip.age', () => {
    expect(encryptedFileName('xlr-backup-prod-20260101T000000Z')).toBe('xlr-backup-prod-20260101T000000Z.zip.age')
  })

  it('sniffs age files by their header line', async () => {
    const age = path.join(dir, 'a.zip.age')
    const zip = path.join(dir, 'a.zip')
    const tiny = path.join(dir, 'tiny')
    await writeFile(age, await encrypt(Buffer.from('x'), { recipients: [recipient] }))
    await writeFile(zip, Buffer.from('PK\x03\x04rest of a zip'))
    await writeFile(tiny, 'age')
    expect(await isAgeFile(age)).toBe(true)
    expect(await isAgeFile(zip)).toBe(false)
    expect(await isAgeFile(tiny)).toBe(false)
    await expect(isAgeFile(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/)
  })

  it('an encrypted file holds neither the passphrase nor any key, in any form', async () => {
    const plaintext = Buffer.from(`conf/xl-release-server.conf: repository.password=${PASSPHRASE}\n`)
    await writeFile(path.join(dir, 'p.zip.age'), await encrypt(plaintext, { recipients: [], passphrase: PASSPHRASE }))
    await writeFile(path.join(dir, 'k.zip.age'), await encrypt(plaintext, { recipients: [recipient] }))
    const findings = await scanForSecrets([PASSPHRASE, identity], {
      files: [path.join(dir, 'p.zip.age'), path.join(dir, 'k.zip.age')]
    })
    expect(describeFindings(findings)).toBe('')
  })

  it('refuses a plaintext backup when require-encryption is true', async () => {
    const age = path.join(dir, 'b.zip.age')
    const zip = path.join(dir, 'b.zip')
    await writeFile(age, await encrypt(Buffer.from('y'), { recipients: [recipient] }))
    await writeFile(zip, Buffer.from('PK\x03\x04'))
    await chmod(zip, 0o600)
    await expect(assertEncryptedIfRequired(zip, true)).rejects.toThrow(EncryptionError)
    await expect(assertEncryptedIfRequired(zip, true)).rejects.toThrow(
      /not encrypted, and 'require-encryption' is true/
    )
    expect(await assertEncryptedIfRequired(zip, false)).toBe(false)
    expect(await assertEncryptedIfRequired(age, true)).toBe(true)
  })
})
