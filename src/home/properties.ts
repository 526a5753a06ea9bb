import { ConfigParseError } from '../shared/errors.js'

/** One key of a .properties file, with the line its logical line starts on (for error messages). */
export interface PropertyEntry {
  key: string
  value: string
  line: number
}

const WHITESPACE = new Set([' ', '\t', '\f'])

/**
 * Parses Java .properties text the way java.util.Properties.load does: `=`, `:` or whitespace separates key and
 * value, `#`/`!` start comment lines, a line ending in an odd number of backslashes continues on the next line
 * (whose leading whitespace is dropped), and `\t \n \r \f \uXXXX` escapes are decoded (any other escaped character
 * stands for itself). A later duplicate key wins, as in Java. `file` only names the file in errors.
 */
export function parseProperties(text: string, file: string): Map<string, PropertyEntry> {
  const entries = new Map<string, PropertyEntry>()
  const lines = text.split(/\r\n|\r|\n/)
  for (let index = 0; index < lines.length; index++) {
    const startLine = index + 1
    let logical = stripLeadingWhitespace(lines[index])
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue
    while (endsWithContinuation(logical) && index + 1 < lines.length) {
      index++
      logical = logical.slice(0, -1) + stripLeadingWhitespace(lines[index])
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1)
    const { rawKey, rawValue } = splitKeyValue(logical)
    const key = unescape(rawKey, file, startLine)
    entries.set(key, { key, value: unescape(rawValue, file, startLine), line: startLine })
  }
  return entries
}

function stripLeadingWhitespace(line: string): string {
  let i = 0
  while (i < line.length && WHITESPACE.has(line[i])) i++
  return line.slice(i)
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++
  return backslashes % 2 === 1
}

function splitKeyValue(line: string): { rawKey: string; rawValue: string } {
  let i = 0
  while (i < line.length) {
    const c = line[i]
    if (c === '\\') {
      i += 2
      continue
    }
    if (c === '=' || c === ':' || WHITESPACE.has(c)) break
    i++
  }
  const rawKey = line.slice(0, Math.min(i, line.length))
  let j = i
  while (j < line.length && WHITESPACE.has(line[j])) j++
  if (j < line.length && (line[j] === '=' || line[j] === ':')) {
    j++
    while (j < line.length && WHITESPACE.has(line[j])) j++
  }
  return { rawKey, rawValue: line.slice(j) }
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' }

function unescape(raw: string, file: string, line: number): string {
  if (!raw.includes('\\')) return raw
  let out = ''
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (c !== '\\') {
      out += c
      continue
    }
    const next = raw[++i]
    if (next === undefined) break
    if (next === 'u') {
      const hex = raw.slice(i + 1, i + 5)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigParseError(file, line, 'malformed \\uXXXX escape: \\u must be followed by four hex digits')
      }
      out += String.fromCharCode(parseInt(hex, 16))
      i += 4
    } else {
      out += SIMPLE_ESCAPES[next] ?? next
    }
  }
  return out
}
