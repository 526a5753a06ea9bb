import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { ConfigParseError } from '../shared/errors.js'
import { decodeConfigBytes, isNotFound, MAX_CONFIG_BYTES } from './config-text.js'
import type { ConfigOrigin, HoconOptions } from './hocon-types.js'
import { parsePathExpression, tokenize, type Token } from './hocon-lexer.js'
import {
  assign,
  combineParts,
  containsPending,
  newObject,
  pathKey,
  pendingOf,
  unquotedScalar,
  type Arr,
  type Node,
  type Obj,
  type Part,
  type Subst
} from './hocon-tree.js'
import { parseProperties } from './properties.js'

/** Builds the unresolved tree from tokens, reading includes as it meets them (relative to the including file). */

export interface ParseState {
  options: HoconOptions
  files: string[]
  origins: Map<string, ConfigOrigin>
  includeStack: string[]
}

export class Parser {
  private pos = 0

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
    /** Where this file's root sits in the whole config (non-empty inside an included file). */
    private readonly prefix: string[],
    private readonly state: ParseState
  ) {}

  /** Parses a whole file into `target`: either `{ … }` or a root object without braces. */
  parseDocument(target: Obj): void {
    this.skip('ws', 'newline')
    const first = this.peek()
    if (first.kind === 'punct' && first.text === '{') {
      this.pos++
      this.parseFields(target, this.prefix, first.line)
      this.skip('ws', 'newline')
      const after = this.peek()
      if (after.kind !== 'eof') this.fail(after.line, `unexpected ${describe(after)} after the closing '}' of the file`)
    } else if (first.kind === 'punct' && first.text === '[') {
      this.fail(first.line, 'the file is a list; a config file must be an object (key = value lines)')
    } else {
      this.parseFields(target, this.prefix, undefined)
    }
  }

  /** Fields until '}' (openLine set: the line of the matching '{') or the end of the file. */
  private parseFields(target: Obj, objectPath: string[], openLine: number | undefined): void {
    let needSeparator = false
    for (;;) {
      this.skip('ws')
      const t = this.peek()
      if (t.kind === 'eof') {
        if (openLine !== undefined)
          this.fail(openLine, `'{' opened here is never closed (missing '}' before the end of the file)`)
        return
      }
      if (t.kind === 'punct' && t.text === '}') {
        if (openLine === undefined) this.fail(t.line, `unexpected '}' with no '{' to close (check the braces above)`)
        this.pos++
        return
      }
      if (t.kind === 'newline') {
        this.pos++
        needSeparator = false
        continue
      }
      if (t.kind === 'punct' && t.text === ',') {
        if (!needSeparator) this.fail(t.line, `unexpected ',' (a comma must follow a value)`)
        this.pos++
        needSeparator = false
        continue
      }
      if (needSeparator) this.fail(t.line, `expected a new line or ',' before ${describe(t)}`)
      if (t.kind === 'unquoted' && t.text === 'include' && this.isIncludeStatement()) {
        this.parseInclude(target, objectPath)
      } else {
        this.parseField(target, objectPath)
      }
      needSeparator = true
    }
  }

  private isIncludeStatement(): boolean {
    const next = this.tokens[this.pos + 1]
    const after = this.tokens[this.pos + 2]
    return next?.kind === 'ws' && (after?.kind === 'string' || (after?.kind === 'unquoted' && after.text.endsWith('(')))
  }

  private parseField(target: Obj, objectPath: string[]): void {
    const keyLine = this.peek().line
    const keys = this.parseKey()
    this.skip('ws')
    const sep = this.peek()
    let op: '=' | '+=' = '='
    if (sep.kind === 'punct' && (sep.text === '=' || sep.text === ':' || sep.text === '+=')) {
      op = sep.text === '+=' ? '+=' : '='
      this.pos++
      this.skip('ws', 'newline')
    } else if (!(sep.kind === 'punct' && sep.text === '{')) {
      this.fail(
        keyLine,
        `key '${keys.join('.')}' has no value: expected '=', ':' or '{' after it, found ${describe(sep)}`
      )
    }
    const fieldPath = [...objectPath, ...keys]
    const origin = { file: this.file, line: keyLine }
    let value = this.parseValue(fieldPath, origin)
    if (op === '+=') {
      const self: Subst = {
        kind: 'subst',
        path: fieldPath,
        written: fieldPath,
        expression: fieldPath.join('.'),
        optional: true,
        origin
      }
      value = pendingOf([self, { kind: 'array', items: [value] }], fieldPath, origin)
    }
    this.assignPath(target, objectPath, keys, value, origin)
  }

  /** A key: unquoted parts split at dots, quoted parts taken whole, whitespace inside kept (`a b = 1`). */
  private parseKey(): string[] {
    const keys: string[] = []
    let current = ''
    let started = false
    let pendingWs = ''
    const line = this.peek().line
    for (;;) {
      const t = this.peek()
      if (t.kind === 'string') {
        current += pendingWs + t.text
        pendingWs = ''
        started = true
      } else if (t.kind === 'unquoted') {
        current += pendingWs
        pendingWs = ''
        const pieces = t.text.split('.')
        for (let i = 0; i < pieces.length; i++) {
          if (i > 0) {
            if (!started && current === '') this.fail(line, `key has an empty part (check the dots)`)
            keys.push(current)
            current = ''
            started = false
          }
          if (pieces[i] !== '') {
            current += pieces[i]
            started = true
          }
        }
      } else if (t.kind === 'ws' && (started || current !== '')) {
        pendingWs += t.text
      } else {
        break
      }
      this.pos++
    }
    if (!started && current === '') {
      const t = this.peek()
      this.fail(t.line, keys.length ? `key has an empty part (check the dots)` : `expected a key, found ${describe(t)}`)
    }
    keys.push(current)
    return keys
  }

  /** A value: one or more parts concatenated, up to a new line, ',', '}', ']' or the end of the file. */
  private parseValue(fieldPath: string[], origin: ConfigOrigin): Node {
    const parts: Part[] = []
    for (;;) {
      const t = this.peek()
      if (t.kind === 'ws') {
        parts.push({ kind: 'ws', text: t.text })
        this.pos++
      } else if (t.kind === 'string') {
        parts.push({ kind: 'scalar', type: 'string', text: t.text })
        this.pos++
      } else if (t.kind === 'unquoted') {
        parts.push(unquotedScalar(t.text))
        this.pos++
      } else if (t.kind === 'subst') {
        const relative = [...this.prefix, ...t.path]
        parts.push({
          kind: 'subst',
          path: relative,
          written: t.path,
          expression: t.expression,
          optional: t.optional,
          origin: { file: this.file, line: t.line }
        })
        this.pos++
      } else if (t.kind === 'punct' && t.text === '{') {
        this.pos++
        const obj = newObject()
        this.parseFields(obj, fieldPath, t.line)
        parts.push(obj)
      } else if (t.kind === 'punct' && t.text === '[') {
        this.pos++
        parts.push(this.parseArray(fieldPath, t.line))
      } else if (t.kind === 'punct' && (t.text === ':' || t.text === '=' || t.text === '+=') && t.line > origin.line) {
        this.fail(origin.line, `${fieldPath.join('.')} has no value (the next line is read as its value)`)
      } else if (t.kind === 'punct' && (t.text === ':' || t.text === '=' || t.text === '+=')) {
        this.fail(
          t.line,
          `unexpected '${t.text}' in the value of ${fieldPath.join('.') || 'a list'}; a value that contains '${t.text}' ` +
            `(such as a JDBC URL) must be in double quotes, e.g. key = "jdbc:postgresql://host:5432/db"`
        )
      } else {
        break
      }
    }
    while (parts.length && parts[parts.length - 1].kind === 'ws') parts.pop()
    while (parts.length && parts[0].kind === 'ws') parts.shift()
    if (parts.length === 0) {
      const t = this.peek()
      this.fail(t.line, `expected a value for ${fieldPath.join('.') || 'a list element'}, found ${describe(t)}`)
    }
    if (parts.some(p => p.kind === 'subst' || containsPending(p))) return pendingOf(parts, fieldPath, origin)
    return combineParts(parts as (Node | { kind: 'ws'; text: string })[], origin, false)
  }

  private parseArray(fieldPath: string[], openLine: number): Arr {
    const items: Node[] = []
    let needSeparator = false
    for (;;) {
      this.skip('ws')
      const t = this.peek()
      if (t.kind === 'eof')
        this.fail(openLine, `'[' opened here is never closed (missing ']' before the end of the file)`)
      if (t.kind === 'punct' && t.text === ']') {
        this.pos++
        return { kind: 'array', items }
      }
      if (t.kind === 'newline') {
        this.pos++
        needSeparator = false
        continue
      }
      if (t.kind === 'punct' && t.text === ',') {
        if (!needSeparator) this.fail(t.line, `unexpected ',' in a list (a comma must follow a value)`)
        this.pos++
        needSeparator = false
        continue
      }
      if (needSeparator) this.fail(t.line, `expected a new line or ',' before ${describe(t)} in a list`)
      if (t.kind === 'punct' && t.text === '}')
        this.fail(t.line, `unexpected '}' inside a list opened at line ${openLine}`)
      items.push(this.parseValue(fieldPath, { file: this.file, line: t.line }))
      needSeparator = true
    }
  }

  private parseInclude(target: Obj, objectPath: string[]): void {
    const line = this.peek().line
    this.pos += 2 // 'include' and whitespace
    let shape = ''
    let name: string | undefined
    for (;;) {
      const t = this.peek()
      if (t.kind === 'string') {
        if (name !== undefined) this.fail(line, 'include names more than one file')
        name = t.text
        shape += '"'
      } else if (t.kind === 'unquoted') {
        shape += t.text
      } else if (t.kind !== 'ws') {
        break
      }
      this.pos++
    }
    const match = /^(required\()?(?:(file|classpath|url)\()?"\)?\)?$/.exec(shape)
    const required = match?.[1] !== undefined
    const kind = match?.[2] ?? 'heuristic'
    const balanced = match && shape.split('(').length === shape.split(')').length
    if (!match || !balanced || name === undefined) {
      this.fail(line, `malformed include: write include "file.conf", include file("…") or include required(file("…"))`)
    }
    if (kind === 'url') {
      if (required) this.fail(line, `include url(…) is not supported here; copy the included settings into the file`)
      this.state.options.warn?.(`${this.file}:${line}: include url("${name}") skipped (url includes are not read)`)
      return
    }
    const candidates =
      kind === 'classpath'
        ? (this.state.options.classpathDirs ?? []).map(dir => path.resolve(dir, name.replace(/^\/+/, '')))
        : [path.resolve(path.dirname(this.file), name)]
    for (const candidate of candidates) {
      for (const file of withDefaultExtensions(candidate)) {
        const text = readIncludedText(file, this.file, line)
        if (text === undefined) continue
        this.includeFile(file, text, target, objectPath, line)
        return
      }
    }
    if (required)
      this.fail(
        line,
        `required include "${name}" not found (looked for ${candidates.join(', ') || 'no classpath folders'})`
      )
    this.state.options.warn?.(`${this.file}:${line}: optional include "${name}" not found, skipped`)
  }

  private includeFile(file: string, text: string, target: Obj, objectPath: string[], line: number): void {
    if (this.state.includeStack.includes(file)) {
      this.fail(line, `include of ${file} loops back to itself (${this.state.includeStack.join(' → ')} → ${file})`)
    }
    if (!this.state.files.includes(file)) this.state.files.push(file)
    if (file.endsWith('.properties')) {
      for (const entry of parseProperties(text, file).values()) {
        const keys = parsePathExpression(entry.key, file, entry.line)
        const origin = { file, line: entry.line }
        this.assignPath(target, objectPath, keys, { kind: 'scalar', type: 'string', text: entry.value }, origin)
      }
      return
    }
    this.state.includeStack.push(file)
    try {
      const included = newObject()
      new Parser(tokenize(text, file), file, objectPath, this.state).parseDocument(included)
      for (const [key, value] of included.fields) assign(target, key, value)
    } finally {
      this.state.includeStack.pop()
    }
  }

  /** Sets `keys` (a dotted key) below `target` as nested objects, merging with what is there. */
  private assignPath(target: Obj, objectPath: string[], keys: string[], value: Node, origin: ConfigOrigin): void {
    let nested: Node = value
    for (let i = keys.length - 1; i > 0; i--) {
      const wrapper = newObject()
      wrapper.fields.set(keys[i], nested)
      nested = wrapper
    }
    assign(target, keys[0], nested)
    this.state.origins.set(pathKey([...objectPath, ...keys]), origin)
    recordOrigins(this.state.origins, [...objectPath, ...keys], value, origin)
  }

  private peek(): Token {
    return this.tokens[this.pos]
  }

  private skip(...kinds: Token['kind'][]): void {
    while (kinds.includes(this.peek().kind)) this.pos++
  }

  private fail(line: number, detail: string): never {
    throw new ConfigParseError(this.file, line, detail)
  }
}

/** Nested keys set inside an object literal get the literal's origin unless they recorded their own. */
function recordOrigins(origins: Map<string, ConfigOrigin>, at: string[], value: Node, origin: ConfigOrigin): void {
  if (value.kind !== 'object') return
  for (const [key, child] of value.fields) {
    const childPath = [...at, key]
    if (!origins.has(pathKey(childPath))) origins.set(pathKey(childPath), origin)
    recordOrigins(origins, childPath, child, origin)
  }
}

function withDefaultExtensions(file: string): string[] {
  return path.extname(file) ? [file] : [file, `${file}.conf`, `${file}.json`, `${file}.properties`]
}

export function readIncludedText(file: string, includingFile: string, line: number): string | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (error) {
    if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigParseError(includingFile, line, `cannot read ${file} (${code}); check its permissions`)
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigParseError(includingFile, line, `${file} is too large for a configuration file`)
  }
  return decodeConfigBytes(bytes)
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the file'
    case 'newline':
      return 'the end of the line'
    case 'punct':
      return `'${t.text}'`
    case 'subst':
      return 'a substitution ${…}'
    case 'ws':
      return 'whitespace'
    default:
      return t.kind === 'string' ? 'a quoted string' : `'${t.text}'`
  }
}
