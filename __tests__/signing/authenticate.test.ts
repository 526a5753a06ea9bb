/**
 * The decision made from a backup's companion before the backup is fetched: signed, by a trusted key, in our
 * namespace, over the canonical statement of this very backup.
 */
import { SignatureError } from '../../src/shared/errors.js'
import { authenticate } from '../../src/signing/authenticate.js'
import { makeCompanion, splitCompanion } from '../../src/signing/companion.js'
import { parsePrivateKey, parseTrustedKey } from '../../src/signing/ssh-keys.js'
import { signSshsig } from '../../src/signing/sshsig.js'
import { parseStatement, statementText } from '../../src/signing/statement.js'
import { signingFixture } from '../support/signing-fixtures.js'

const signer = parsePrivateKey(signingFixture('signer'))
const stranger = parsePrivateKey(signingFixture('stranger'))
const trusted = [parseTrustedKey(signingFixture('signer.pub'))]
const file = 'xlr-backup-prod-20260101T000000Z.zip.age'
const statement = { file, sha256: 'a'.repeat(64), manifestSha256: 'b'.repeat(64) }

function refusal(companion: string | null): string {
  try {
    authenticate(file, companion, trusted)
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError)
    return (error as Error).message
  }
  throw new Error('expected a refusal')
}

describe('authenticate', () => {
  it('accepts a backup signed by a trusted key and returns what the signature pins', () => {
    const result = authenticate(file, makeCompanion(statement, signer), trusted)
    expect(result).toMatchObject(statement)
    expect(result.signer.fingerprint).toBe(signer.fingerprint)
  })

  it('refuses an unsigned backup, naming it and the inputs', () => {
    expect(refusal(null)).toBe(
      `Backup ${file} is not signed (no ${file}.sig next to it), and 'trusted-signers' is set, so only backups signed ` +
        `by one of its keys are restored. Sign backups with 'signing-key', or pick a signed backup.`
    )
  })

  it('refuses a backup signed by an unknown key, naming its fingerprint', () => {
    const message = refusal(makeCompanion(statement, stranger))
    expect(message).toContain(
      `Backup ${file} is signed by key ${stranger.fingerprint}, which is not in 'trusted-signers'`
    )
  })

  it('refuses a changed statement (another digest) and a signature for another namespace', () => {
    const companion = makeCompanion(statement, signer)
    expect(refusal(companion.replace(`sha256: ${'a'.repeat(64)}`, `sha256: ${'c'.repeat(64)}`))).toMatch(
      /is not valid: it does not match the signed text/
    )
    const text = statementText(statement)
    expect(refusal(text + signSshsig(Buffer.from(text), signer, 'file'))).toMatch(/namespace 'file', not 'xlr-backup'/)
  })

  it("refuses another backup's signature placed next to this one", () => {
    const other = makeCompanion({ ...statement, file: 'xlr-backup-prod-20250101T000000Z.zip.age' }, signer)
    expect(refusal(other)).toMatch(/was made for another backup, xlr-backup-prod-20250101T000000Z\.zip\.age/)
  })

  it('refuses a trusted signature over text that is not a canonical statement', () => {
    const text = statementText(statement).replace('\n', '\r\n')
    expect(refusal(text + signSshsig(Buffer.from(text), signer, 'xlr-backup'))).toMatch(/not an xlr-backup statement/)
    expect(refusal('no signature here\n')).toMatch(/holds no SSH signature/)
  })
})

describe('allowed_signers options', () => {
  const pub = signingFixture('signer.pub').trim()
  const companion = makeCompanion(statement, signer)

  it.each([
    ['namespaces="xlr-backup"', true],
    ['namespaces="git,xlr-*"', true],
    ['namespaces="file,git"', false],
    ['namespaces="xlr-backup?"', false]
  ])('%s admits the backup namespace: %s', (options, admitted) => {
    const keys = [parseTrustedKey(`ops@example.com ${options} ${pub}`)]
    if (admitted) expect(authenticate(file, companion, keys).signer.label).toBe('ops@example.com')
    else expect(() => authenticate(file, companion, keys)).toThrow(/allows only for namespaces .*Add 'xlr-backup'/)
  })

  it('refuses options this verifier does not apply, instead of ignoring them', () => {
    expect(() => parseTrustedKey(`ops@example.com cert-authority ${pub}`)).toThrow(
      /option 'cert-authority' is not supported/
    )
    expect(() => parseTrustedKey(`ops@example.com valid-before="20300101" ${pub}`)).toThrow(
      /option 'valid-before' is not supported/
    )
  })
})

describe('authenticate on damaged companions', () => {
  it('refuses every one-byte change and every truncation of a good companion with a SignatureError', () => {
    const good = Buffer.from(makeCompanion(statement, signer))
    const outcomes = new Set<string>()
    for (let at = 0; at < good.length; at++) {
      for (const flip of [0x01, 0x20, 0x80]) {
        const bad = Buffer.from(good)
        bad[at] ^= flip
        outcomes.add(outcome(bad.toString('latin1')))
      }
      outcomes.add(outcome(good.subarray(0, at).toString('latin1')))
    }
    // Some changes only touch base64 padding bits or whitespace the armor ignores; none may throw anything else.
    expect([...outcomes].filter(o => o !== 'refused' && o !== 'accepted')).toEqual([])
    expect(outcomes.has('refused')).toBe(true)
  })

  function outcome(companion: string): string {
    try {
      const result = authenticate(file, companion, trusted)
      // Accepted only if it still states exactly the same backup.
      expect(result).toMatchObject(statement)
      return 'accepted'
    } catch (error) {
      return error instanceof SignatureError ? 'refused' : `threw ${(error as Error).name}: ${(error as Error).message}`
    }
  }
})

describe('statement and companion', () => {
  it('round-trips and splits at the signature block', () => {
    const companion = makeCompanion(statement, signer)
    const parts = splitCompanion(companion)!
    expect(parts.statement).toBe(statementText(statement))
    expect(parseStatement(parts.statement)).toEqual(statement)
    expect(parts.signature).toMatch(/^-----BEGIN SSH SIGNATURE-----\n[\s\S]+-----END SSH SIGNATURE-----\n$/)
    expect(parseStatement(parts.statement.toUpperCase())).toBeNull()
  })
})
