import { XlrBackupError } from '../shared/errors.js'
import { DATABASE_KEYS } from './databases.js'
import type { DatabaseRole, HomeInfo } from './types.js'

/** The database a restore drill's server must use instead of the one the backed-up config names. */
export interface DrillDatabase {
  url: string
  /** Omitted: the config's own username stays in force. */
  username?: string
  /** Omitted: the config's own password stays in force. Written as given; the server encrypts it at start. */
  password?: string
  /** JDBC driver class, for a drill database of another kind than production's (SQL era keys only). */
  driver?: string
}

const begin = (role: DatabaseRole): string => `# >>> xlr-backup: ${role} database override >>>`
const end = (role: DatabaseRole): string => `# <<< xlr-backup: ${role} database override <<<`

/**
 * Returns xl-release.conf text that makes the server use `db` for `role`. The original text is kept untouched and a
 * commented block of dotted keys is appended: later keys win in HOCON, so the block overrides whatever the file
 * (its includes and substitutions included) set before, while the rest of the file stays as it was. A block this
 * function added before for the same role is replaced, so repeated drills do not stack overrides.
 * Keys by era: SQL (and unknown) `xl.database` / `xl.reporting` { db-url, db-username, db-password,
 * db-driver-classname }; JCR `xl.repository.persistence { jdbcUrl, username, password }` for the repository (the
 * archive keeps the SQL-era `xl.reporting` keys). For 'unknown' the repository gets both sets: the server ignores
 * the set of the other era. A JCR home configured by conf/jackrabbit-repository.xml is not covered by this file.
 */
export function pointConfigAtDatabase(
  confText: string,
  role: DatabaseRole,
  db: DrillDatabase,
  era: HomeInfo['era']
): string {
  if (!db.url.trim())
    throw new XlrBackupError('The drill database URL is empty: give the JDBC URL of the drill database')
  const lines: string[] = [
    begin(role),
    `# Added by xlr-backup for a restore drill: this server must use the drill's ${role} database, never the`,
    '# production one named above. Later keys win in HOCON, so these lines override the settings above.'
  ]
  const sql = DATABASE_KEYS.sql
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) lines.push(`${key} = ${quoteHoconString(value)}`)
  }
  if (role === 'repository' && era !== 'sql') {
    const jcr = DATABASE_KEYS.jcr
    set(`${jcr.repository}.${jcr.url}`, db.url)
    set(`${jcr.repository}.${jcr.username}`, db.username)
    set(`${jcr.repository}.${jcr.password}`, db.password)
  }
  if (role === 'archive' || era !== 'jcr') {
    const block = role === 'repository' ? sql.repository : sql.archive
    set(`${block}.${sql.url}`, db.url)
    set(`${block}.${sql.username}`, db.username)
    set(`${block}.${sql.password}`, db.password)
    set(`${block}.${sql.driver}`, db.driver)
  }
  lines.push(end(role))
  let text = removeBlock(confText, role)
  if (text !== '' && !text.endsWith('\n')) text += '\n'
  return `${text}${text === '' ? '' : '\n'}${lines.join('\n')}\n`
}

function removeBlock(text: string, role: DatabaseRole): string {
  const start = text.indexOf(begin(role))
  if (start < 0) return text
  const stop = text.indexOf(end(role), start)
  if (stop < 0) return text
  const before = text.slice(0, start).replace(/\n\n$/, '\n')
  return before + text.slice(stop + end(role).length).replace(/^\r?\n/, '')
}

/** A HOCON quoted string holding exactly `value`: quotes, backslashes and control characters escaped. */
export function quoteHoconString(value: string): string {
  let out = '"'
  for (const c of value) {
    const code = c.codePointAt(0)!
    if (c === '"') out += '\\"'
    else if (c === '\\') out += '\\\\'
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`
    } else out += c
  }
  return out + '"'
}
