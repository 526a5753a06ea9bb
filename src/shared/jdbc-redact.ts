/**
 * The one place that knows where a JDBC URL hides a password. Every URL that reaches a manifest, a log line, an error
 * message or a custom command's XLR_DB_URL goes through `redactJdbcUrl`; every password it holds is registered as a
 * secret through `passwordsInJdbcUrl`; command lines of other processes use the same rules (guard/redact.ts).
 *
 * Forms covered (keys case-insensitive, anything that names a password, passphrase, secret or token):
 * - query strings of every driver: `?password=…&sslpassword=…&trustStorePassword=…&clientCertificateKeyStorePassword=…`
 * - property lists: SQL Server `;password=…;` and `;password={…;…}`, DB2 `:password=…;`, H2/Derby `;PASSWORD=…`
 * - Connector/J key-value hosts: `//(host=h,port=3306,user=u,password=…)/db` and `address=(host=h)(password=…)`
 * - user info: `jdbc:mysql://user:password@host`
 * - Oracle: `jdbc:oracle:thin:user/password@…` (also with a quoted password)
 * Over-redacting costs a less helpful message; under-redacting leaks a password: every rule errs on the wide side.
 */

/** A parameter or property name that carries a secret in one driver or another. */
export function isSecretKey(key: string): boolean {
  return /pass(?:word|wd|phrase)|^pwd$|secret|token|credential/i.test(key.trim())
}

const KEY = String.raw`[\w.\-]*(?:pass(?:word|wd|phrase)|pwd|secret|token|credential)[\w.\-]*`

/**
 * key=value pairs. The value runs as far as its context allows: to the next '&' in a query string, to ';' in
 * a property list (or the closing '}' of a braced value), to ',' or ')' inside Connector/J's parentheses.
 */
const PAIRS: RegExp[] = [
  new RegExp(String.raw`([?&]\s*${KEY}\s*=\s*)([^&]*)`, 'gi'),
  new RegExp(String.raw`([;:]\s*${KEY}\s*=\s*)(\{[^}]*\}?|[^;]*)`, 'gi'),
  new RegExp(String.raw`([(,]\s*${KEY}\s*=\s*)([^,)]*)`, 'gi')
]

/** `//user:password@` up to the last '@' (a password may hold '@' or '/'). */
const USER_INFO = /(\/\/[^/@:?;()]*:)(.*)@/
/** Oracle's `user/password@`: after the driver type, before the last '@'. */
const ORACLE = /^(jdbc:oracle:[a-z0-9]+:[^/@:]*\/)(.*)@/i

/** The URL with every password it carries replaced by '***'. */
export function redactJdbcUrl(url: string): string {
  let out = url
  for (const pattern of PAIRS) out = out.replace(pattern, (_m, kept: string) => `${kept}***`)
  out = out.replace(USER_INFO, (_m, kept: string) => `${kept}***@`)
  out = out.replace(ORACLE, (_m, kept: string) => `${kept}***@`)
  return out
}

/** Every password the URL carries, as written and percent-decoded, so each can be masked. */
export function passwordsInJdbcUrl(url: string): string[] {
  const found = new Set<string>()
  const add = (value: string | undefined): void => {
    const v = value?.trim()
    if (!v || v === '***') return
    found.add(v)
    const unbraced = v.replace(/^\{(.*)\}?$/, '$1').replace(/^"(.*)"$/, '$1')
    found.add(unbraced)
    try {
      found.add(decodeURIComponent(unbraced))
    } catch {
      // Not percent-encoded.
    }
  }
  for (const pattern of PAIRS) for (const m of url.matchAll(pattern)) add(m[2])
  add(USER_INFO.exec(url)?.[2])
  add(ORACLE.exec(url)?.[2])
  return [...found].filter(v => v !== '')
}
