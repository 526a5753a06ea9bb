/**
 * Command lines of other processes (and the user's stop/start commands) end up in log lines and error messages.
 * JVMs are often started with `-Dsome.password=…`, and stop commands with `curl -u admin:…`: hide those values.
 * Over-redacting is harmless here; a leaked password is not.
 */
import { redactJdbcUrl } from '../shared/jdbc-redact.js'

const SECRET_KEY = String.raw`[\w.-]*(?:password|passwd|pwd|secret|token|passphrase|credential|api[-_.]?key)[\w.-]*`
/** One shell word: unquoted characters and quoted stretches, e.g. `admin:'pa ss'`. */
const VALUE = String.raw`(?:[^\s'"]|'[^']*'|"[^"]*")+`

type Replacer = (match: string, ...groups: string[]) => string
const keepFirstGroup: Replacer = (_match, kept) => `${kept}***`

const RULES: [RegExp, Replacer][] = [
  // JDBC URLs (a JVM's -D…url=jdbc:…): the same rules as the manifest's, e.g. Oracle's user/password@ and
  // Connector/J's (host=…,password=…)
  [/jdbc:\S+/gi, match => redactJdbcUrl(match)],
  // key=value and key: value, e.g. -Dxl.repository.keystore.password=…, --db-password=…, PGPASSWORD=…
  [new RegExp(String.raw`(${SECRET_KEY}\s*[=:]\s*)${VALUE}`, 'gi'), keepFirstGroup],
  // a flag followed by its value, e.g. --password …, -passphrase …
  [new RegExp(String.raw`((?:^|\s)--?${SECRET_KEY}\s+)(?!-)${VALUE}`, 'gi'), keepFirstGroup],
  // user:password@ in URLs, e.g. http://admin:admin@localhost:5516/server/shutdown
  [/(\b[a-z][\w+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, (_match, kept) => `${kept}***@`],
  // curl -u user:password / --user=user:password; without a colon curl prompts, so there is nothing to hide
  [
    new RegExp(String.raw`((?:^|\s)(?:-u|--user)(?:\s*|=))(${VALUE})`, 'g'),
    (match, flag, word) => {
      const plain = word.replace(/['"]/g, '')
      const colon = plain.indexOf(':')
      return colon < 0 ? match : `${flag}${plain.slice(0, colon)}:***`
    }
  ]
]

export function redactCommandLine(text: string): string {
  let out = text
  for (const [pattern, replacer] of RULES) out = out.replace(pattern, replacer)
  return out
}

export const MAX_COMMAND_LINE_CHARS = 400

/** Redacted first, then shortened: a cut must never split a secret out of reach of the patterns. */
export function displayCommandLine(text: string, max = MAX_COMMAND_LINE_CHARS): string {
  const clean = redactCommandLine(text.replace(/\s+/g, ' ').trim())
  if (clean.length <= max) return clean
  return `${clean.slice(0, max)}… (${clean.length - max} more characters)`
}
