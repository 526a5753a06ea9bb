/**
 * Command lines of other processes (and the user's stop/start commands) end up in log lines and error messages.
 * JVMs are often started with `-Dsome.password=…`, and stop commands with `curl -u admin:…`: hide those values.
 * Over-redacting is harmless here; a leaked password is not.
 */

const SECRET_KEY = String.raw`[\w.-]*(?:password|passwd|pwd|secret|token|passphrase|credential|api[-_.]?key)[\w.-]*`
const VALUE = String.raw`(?:"[^"]*"|'[^']*'|\S+)`

const RULES: [RegExp, string][] = [
  // key=value and key: value, e.g. -Dxl.repository.keystore.password=…, --db-password=…, PGPASSWORD=…
  [new RegExp(String.raw`(${SECRET_KEY}\s*[=:]\s*)${VALUE}`, 'gi'), '$1***'],
  // a flag followed by its value, e.g. --password …, -passphrase …
  [new RegExp(String.raw`((?:^|\s)--?${SECRET_KEY}\s+)(?!-)${VALUE}`, 'gi'), '$1***'],
  // user:password@ in URLs, e.g. http://admin:admin@localhost:5516/server/shutdown
  [/(\b[a-z][\w+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, '$1***@'],
  // curl -u user:password / --user user:password
  [/((?:^|\s)(?:-u|--user)\s*["']?[^\s:"']+:)[^\s"']+/g, '$1***']
]

export function redactCommandLine(text: string): string {
  let out = text
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement)
  return out
}

export const MAX_COMMAND_LINE_CHARS = 400

/** Redacted first, then shortened: a cut must never split a secret out of reach of the patterns. */
export function displayCommandLine(text: string, max = MAX_COMMAND_LINE_CHARS): string {
  const clean = redactCommandLine(text.replace(/\s+/g, ' ').trim())
  if (clean.length <= max) return clean
  return `${clean.slice(0, max)}… (${clean.length - max} more characters)`
}
