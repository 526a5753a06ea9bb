/**
 * What a backup signature signs: a short text that names the backup file and pins its bytes and its manifest.
 * Canonical (fixed lines, fixed order, LF endings, lower-case hex), so the verifier rebuilds it from the fields and
 * accepts only the exact text that was signed. docs/backup-format.md describes it for people verifying by hand.
 */
export const SIGNATURE_NAMESPACE = 'xlr-backup'
export const STATEMENT_FORMAT = 'xlr-backup signed statement v1'

export interface Statement {
  /** The backup's file name (as stored: 'x.zip' or 'x.zip.age'). */
  file: string
  /** SHA-256 of the stored file (the ciphertext when encrypted). */
  sha256: string
  /** SHA-256 of the archive's manifest.json entry (the plaintext manifest). */
  manifestSha256: string
}

const HEX64 = /^[0-9a-f]{64}$/
const SAFE_FILE = /^[^\s\r\n/\\]+$/

export function statementText(s: Statement): string {
  if (!SAFE_FILE.test(s.file) || !HEX64.test(s.sha256) || !HEX64.test(s.manifestSha256)) {
    throw new Error(
      `cannot state ${JSON.stringify(s)}: a file name without spaces and two hex SHA-256 digests are needed`
    )
  }
  return `${STATEMENT_FORMAT}\nfile: ${s.file}\nsha256: ${s.sha256}\nmanifest-sha256: ${s.manifestSha256}\n`
}

/** The statement a text holds, or null when it is not exactly the canonical text of one. */
export function parseStatement(text: string): Statement | null {
  const m =
    /^xlr-backup signed statement v1\nfile: (\S+)\nsha256: ([0-9a-f]{64})\nmanifest-sha256: ([0-9a-f]{64})\n$/.exec(
      text
    )
  if (!m) return null
  const statement = { file: m[1], sha256: m[2], manifestSha256: m[3] }
  return statementText(statement) === text ? statement : null
}
