import { generateIdentity, generateHybridIdentity, identityToRecipient } from 'age-encryption'
import {
  checkDecryptionSettings,
  checkEncryptionSettings,
  createDecryptStream,
  createEncryptStream,
  parseIdentities,
  parseRecipients
} from '../../src/crypto/index.js'
import { InputError } from '../../src/shared/errors.js'

async function inputError(fn: () => unknown): Promise<InputError> {
  try {
    await fn()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

// One key pair for the whole file: the tests read it, none changes it.
let identity: string
let recipient: string
beforeAll(async () => {
  identity = await generateIdentity()
  recipient = await identityToRecipient(identity)
})

describe('recipients (encryption-recipients)', () => {
  it('accepts several keys with the comments and blank lines of a key file, dropping duplicates', async () => {
    const other = await identityToRecipient(await generateIdentity())
    const text = `# created: 2026-01-01\n# public key: ${recipient}\n${recipient}\n\n  ${other}  \n${recipient}`
    expect(parseRecipients([text])).toEqual([recipient, other])
  })

  it('accepts post-quantum hybrid keys', async () => {
    const pq = await identityToRecipient(await generateHybridIdentity())
    expect(parseRecipients([pq])).toEqual([pq])
  })

  it('refuses a secret key without repeating it', async () => {
    const error = await inputError(() => parseRecipients([recipient, identity]))
    expect(error.input).toBe('encryption-recipients')
    expect(error.message).toMatch(/Line 2 .* is an age secret key/)
    expect(error.message).not.toContain(identity)
    expect(error.message).not.toContain(identity.slice(16, 30))
  })

  it('refuses a key with a broken checksum', async () => {
    const broken = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q')
    const error = await inputError(() => parseRecipients([broken]))
    expect(error.input).toBe('encryption-recipients')
    expect(error.message).toMatch(/not a valid age public key/)
  })

  it.each([
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHbM3Cwj1Nd8g0rQ user@host', /is an SSH key/],
    ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host', /is an SSH key/],
    ['age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t', /plugin or hardware key/],
    ['not-a-key', /is not an age public key: they start with 'age1'/]
  ])('refuses %s', async (text, message) => {
    const error = await inputError(() => parseRecipients([text]))
    expect(error.input).toBe('encryption-recipients')
    expect(error.message).toMatch(message)
  })

  it('refuses a passphrase together with recipients, naming both inputs', async () => {
    const error = await inputError(() => createEncryptStream({ recipients: [recipient], passphrase: 'pass-word-x' }))
    expect(error.input).toBe('encryption-passphrase')
    expect(error.message).toMatch(/'encryption-recipients' or 'encryption-passphrase', not both/)
    expect(error.message).not.toContain('pass-word-x')
  })

  it('refuses encryption with neither a recipient nor a passphrase', async () => {
    const error = await inputError(() => checkEncryptionSettings({ recipients: ['# just a comment'], passphrase: '' }))
    expect(error.input).toBe('encryption-recipients')
  })
})

describe('identities (decryption-identity)', () => {
  it('accepts a whole key file, several keys, and lower case', async () => {
    const second = await generateIdentity()
    const keyFile = `# created: 2026-01-01T00:00:00Z\n# public key: ${recipient}\n${identity}\n`
    expect(parseIdentities([keyFile, second.toLowerCase()])).toEqual([identity, second])
  })

  it('refuses a public key where the secret key is needed', async () => {
    const error = await inputError(() => createDecryptStream({ identities: [recipient] }))
    expect(error.input).toBe('decryption-identity')
    expect(error.message).toMatch(/is an age public key .* needs the secret key/)
  })

  it('refuses a damaged secret key without repeating any of it', async () => {
    const broken = identity.slice(0, -3) + 'QQQ'
    const error = await inputError(() => checkDecryptionSettings({ identities: [broken] }))
    expect(error.input).toBe('decryption-identity')
    expect(error.message).toMatch(/Line 1 .* not a valid age secret key/)
    expect(error.message).not.toContain(broken.slice(16, 40))
  })

  it.each([
    ['-----BEGIN OPENSSH PRIVATE KEY-----', /is an SSH key/],
    ['AGE-PLUGIN-YUBIKEY-1QQQQQQ', /plugin identity/],
    ['hunter2-password', /is not an age secret key/]
  ])('refuses %s', async (text, message) => {
    const error = await inputError(() => parseIdentities([text]))
    expect(error.input).toBe('decryption-identity')
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain(text)
  })
})
