/**
 * The SSHSIG code against known answers made by OpenSSH's ssh-keygen (fixtures/README.md): the same key and text
 * must give the very signature ssh-keygen gave (Ed25519 is deterministic), ssh-keygen's signature must verify, and
 * every change to the text, the signature or the namespace must be refused.
 */
import { fingerprintOf, KeyFormatError, parsePrivateKey, parseTrustedKey } from '../../src/signing/ssh-keys.js'
import { SignatureFormatError, signSshsig, verifySshsig } from '../../src/signing/sshsig.js'
import { signingFixture } from '../support/signing-fixtures.js'

const statement = Buffer.from(signingFixture('statement.txt'))
const theirSignature = signingFixture('statement.txt.sig')
const signer = parsePrivateKey(signingFixture('signer'))

describe('SSHSIG (PROTOCOL.sshsig) for Ed25519', () => {
  it('signs exactly as ssh-keygen -Y sign does', () => {
    expect(signSshsig(statement, signer, 'xlr-backup')).toBe(theirSignature)
  })

  it("verifies ssh-keygen's signature and names the key by ssh-keygen's fingerprint", () => {
    const info = verifySshsig(statement, theirSignature, 'xlr-backup')
    expect(info.fingerprint).toBe(signer.fingerprint)
    // ssh-keygen -lf signer.pub prints this fingerprint
    expect(info.fingerprint).toBe(parseTrustedKey(signingFixture('signer.pub')).fingerprint)
    expect(info.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    expect(fingerprintOf(info.publicBlob)).toBe(info.fingerprint)
  })

  it('refuses a changed text', () => {
    const changed = Buffer.from(statement.toString().replace('file: xlr', 'file: XLR'))
    expect(() => verifySshsig(changed, theirSignature, 'xlr-backup')).toThrow(/does not match the signed text/)
  })

  it('refuses a signature made for another namespace', () => {
    const other = signSshsig(statement, signer, 'git')
    expect(() => verifySshsig(statement, other, 'xlr-backup')).toThrow(/namespace 'git', not 'xlr-backup'/)
  })

  it('refuses a signature whose bytes were changed', () => {
    const lines = theirSignature.split('\n')
    // The last base64 line ends inside the Ed25519 signature value.
    const last = lines.length - 3
    lines[last] = lines[last].slice(0, 4) + (lines[last][4] === 'A' ? 'B' : 'A') + lines[last].slice(5)
    expect(() => verifySshsig(statement, lines.join('\n'), 'xlr-backup')).toThrow(SignatureFormatError)
  })

  it('refuses text that is not an armored signature, and a truncated one', () => {
    expect(() => verifySshsig(statement, 'hello', 'xlr-backup')).toThrow(/not an armored SSH signature/)
    const cut = theirSignature.split('\n')
    cut.splice(2, 2)
    expect(() => verifySshsig(statement, cut.join('\n'), 'xlr-backup')).toThrow(SignatureFormatError)
  })

  it('refuses a signature by another key when the key is swapped in the blob', () => {
    const stranger = parsePrivateKey(signingFixture('stranger'))
    const theirs = Buffer.from(theirSignature.split('\n').slice(1, -2).join(''), 'base64')
    // Same layout, the stranger's public key in place of the signer's: the signature no longer verifies.
    const swapped = Buffer.from(theirs)
    stranger.publicBlob.copy(swapped, 6 + 4 + 4)
    const armored = `-----BEGIN SSH SIGNATURE-----\n${swapped.toString('base64')}\n-----END SSH SIGNATURE-----\n`
    expect(() => verifySshsig(statement, armored, 'xlr-backup')).toThrow(
      new RegExp(`does not match the signed text \\(key ${stranger.fingerprint.replace(/[+/]/g, '\\$&')}\\)`)
    )
  })
})

describe('OpenSSH keys', () => {
  it('reads an unencrypted Ed25519 private key with its comment', () => {
    expect(signer.comment).toBe('xlr-test-signer')
    expect(signer.publicBlob.equals(parseTrustedKey(signingFixture('signer.pub')).publicBlob)).toBe(true)
  })

  it.each([
    ['protected', /protected by a passphrase \(cipher aes256-ctr\); remove it with: ssh-keygen -p -N ''/],
    ['rsa', /'ssh-rsa' key; only Ed25519/],
    ['ecdsa', /'ecdsa-sha2-nistp256' key; only Ed25519/],
    ['signer.pub', /it is a public key; the private key file/]
  ])('refuses the private key %s', (file, message) => {
    expect(() => parsePrivateKey(signingFixture(file))).toThrow(KeyFormatError)
    expect(() => parsePrivateKey(signingFixture(file))).toThrow(message)
  })

  it('refuses PEM keys and damaged keys', () => {
    expect(() => parsePrivateKey('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----')).toThrow(
      /'RSA PRIVATE KEY' \(PEM\) key/
    )
    const text = signingFixture('signer')
    const lines = text.trim().split('\n')
    const damaged = [lines[0], lines[1], lines[2].slice(0, 20), lines[lines.length - 1]].join('\n')
    expect(() => parsePrivateKey(damaged)).toThrow(KeyFormatError)
  })

  it('reads trusted keys as public key lines and as allowed_signers lines', () => {
    const pub = signingFixture('signer.pub').trim()
    const plain = parseTrustedKey(pub)
    expect(plain.label).toBe('xlr-test-signer')
    const allowed = parseTrustedKey(`backups@example.com namespaces="xlr-backup" ${pub}`)
    expect(allowed.label).toBe('backups@example.com')
    expect(allowed.fingerprint).toBe(plain.fingerprint)
    expect(() => parseTrustedKey(signingFixture('rsa.pub'))).toThrow(/'ssh-rsa' key; only Ed25519/)
    expect(() => parseTrustedKey('just text')).toThrow(/holds no public key/)
    expect(() => parseTrustedKey('ssh-ed25519 AAAA!!!!')).toThrow(KeyFormatError)
  })
})
