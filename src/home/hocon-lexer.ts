import { ConfigParseError } from '../shared/errors.js'

/**
 * Tokens of HOCON (https://github.com/lightbend/config/blob/main/HOCON.md). Whitespace inside a line is a token
 * because it matters in value concatenation (`a = foo bar` is "foo bar"); comments are dropped.
 */
export type Token =
  | { kind: 'ws'; text: string; line: number }
  | { kind: 'newline'; line: number }
  | { kind: 'punct'; text: '{' | '}' | '[' | ']' | ',' | ':' | '=' | '+='; line: number }
  | { kind: 'string'; text: string; line: number }
  | { kind: 'unquoted'; text: string; line: number }
  | { kind: 'subst'; path: string[]; expression: string; optional: boolean; line: number }
  | { kind: 'eof'; line: number }

/** Characters the spec forbids in unquoted text; reaching one outside quotes is a clear error, not a guess. */
const FORBIDDEN_IN_UNQUOTED = new Set([
  '$',
  '"',
  '{',
  '}',
  '[',
  ']',
  ':',
  '=',
  ',',
  '+',
  '#',
  '`',
  '^',
  '?',
  '!',
  '@',
  '*',
  '&',
  '\\'
])
const PUNCT = new Set(['{', '}', '[', ']', ',', ':', '='])
const JSON_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t'
}

function isWhitespace(c: string): boolean {
  return c !== '\n' && (/\s/.test(c) || c === '\uFEFF')
}

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  const fail = (atLine: number, detail: string): never => {
    throw new ConfigParseError(file, atLine, detail)
  }
  while (i < text.length) {
    const c = text[i]
    if (c === '\n') {
      tokens.push({ kind: 'newline', line })
      line++
      i++
    } else if (isWhitespace(c)) {
      const start = i
      while (i < text.length && isWhitespace(text[i])) i++
      tokens.push({ kind: 'ws', text: text.slice(start, i), line })
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === '"' && text.startsWith('"""', i)) {
      const startLine = line
      const close = text.indexOf('"""', i + 3)
      if (close < 0) fail(startLine, 'triple-quoted string (""") is never closed')
      // Quotes right before the closing """ belong to the string: """a"""" is `a"`.
      let end = close
      while (text[end + 3] === '"') end++
      const value = text.slice(i + 3, end)
      tokens.push({ kind: 'string', text: value, line: startLine })
      line += countNewlines(value)
      i = end + 3
    } else if (c === '"') {
      const { value, next } = readQuoted(text, i, line, fail)
      tokens.push({ kind: 'string', text: value, line })
      i = next
    } else if (c === '$' && text[i + 1] === '{') {
      const startLine = line
      const optional = text[i + 2] === '?'
      let j = i + (optional ? 3 : 2)
      const exprStart = j
      while (j < text.length && text[j] !== '}') {
        if (text[j] === '\n') fail(startLine, 'substitution ${…} is never closed (missing "}")')
        if (text[j] === '"') j = readQuoted(text, j, line, fail).next
        else j++
      }
      if (j >= text.length) fail(startLine, 'substitution ${…} is never closed (missing "}")')
      const expression = text.slice(exprStart, j).trim()
      if (expression === '') fail(startLine, 'empty substitution ${}: write ${path.to.value}')
      tokens.push({ kind: 'subst', path: parsePathExpression(expression, file, startLine), expression, optional, line })
      i = j + 1
    } else if (c === '+' && text[i + 1] === '=') {
      tokens.push({ kind: 'punct', text: '+=', line })
      i += 2
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c as '{', line })
      i++
    } else if (FORBIDDEN_IN_UNQUOTED.has(c)) {
      fail(line, `unexpected character '${c}' outside quotes; put the value in double quotes`)
    } else {
      const start = i
      while (
        i < text.length &&
        !isWhitespace(text[i]) &&
        text[i] !== '\n' &&
        !FORBIDDEN_IN_UNQUOTED.has(text[i]) &&
        !(text[i] === '/' && text[i + 1] === '/')
      ) {
        i++
      }
      tokens.push({ kind: 'unquoted', text: text.slice(start, i), line })
    }
  }
  tokens.push({ kind: 'eof', line })
  return tokens
}

function countNewlines(s: string): number {
  let n = 0
  for (const c of s) if (c === '\n') n++
  return n
}

function readQuoted(
  text: string,
  start: number,
  line: number,
  fail: (line: number, detail: string) => never
): { value: string; next: number } {
  let value = ''
  let i = start + 1
  while (i < text.length) {
    const c = text[i]
    if (c === '"') return { value, next: i + 1 }
    if (c === '\n') break
    if (c === '\\') {
      const e = text[i + 1]
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex))
          fail(line, 'malformed \\u escape in a quoted string: expected four hex digits')
        value += String.fromCharCode(parseInt(hex, 16))
        i += 6
        continue
      }
      const decoded = e === undefined ? undefined : JSON_ESCAPES[e]
      if (decoded === undefined) {
        fail(line, `invalid escape '\\${e ?? ''}' in a quoted string; write '\\\\' for a backslash`)
      }
      value += decoded
      i += 2
      continue
    }
    value += c
    i++
  }
  return fail(line, "quoted string is never closed (missing '\"' before the end of the line)")
}

/**
 * Splits a path expression (`xl.database."db-url"`) into keys: dots separate keys outside quotes, quoted parts
 * are taken whole. Used for substitutions and for accessor paths.
 */
export function parsePathExpression(expression: string, file: string, line: number): string[] {
  const keys: string[] = []
  let current = ''
  let sawAny = false
  let i = 0
  while (i < expression.length) {
    const c = expression[i]
    if (c === '"') {
      const { value, next } = readQuoted(expression, i, line, (l, d) => {
        throw new ConfigParseError(file, l, d)
      })
      current += value
      sawAny = true
      i = next
    } else if (c === '.') {
      if (!sawAny) throw new ConfigParseError(file, line, `path '${expression}' has an empty key (check the dots)`)
      keys.push(current)
      current = ''
      sawAny = false
      i++
    } else {
      current += c
      sawAny = true
      i++
    }
  }
  if (!sawAny) throw new ConfigParseError(file, line, `path '${expression}' has an empty key (check the dots)`)
  keys.push(current)
  return keys
}
