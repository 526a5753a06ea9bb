import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { ConfigParseError, XlrBackupError } from '../shared/errors.js'
import { decodeConfigBytes, isNotFound, MAX_CONFIG_BYTES } from './config-text.js'
import { parsePathExpression, tokenize, type Token } from './hocon-lexer.js'
import { parseProperties } from './properties.js'

/**
 * A small HOCON reader for the files an XL Release home holds (conf/xl-release.conf and what it includes).
 * It follows https://github.com/lightbend/config/blob/main/HOCON.md for what such files use: objects and arrays,
 * `=`/`:`/nothing before `{`, dotted and quoted keys, merging of repeated keys, value concatenation, quoted,
 * triple-quoted and unquoted strings, `#`/`//` comments, `+=`, includes, and `${path}`/`${?path}` substitutions
 * resolved against the whole config after parsing (environment variables as fallback, self-references to the
 * previous value). Not supported: `include url(…)` (refused when required, skipped with a warning otherwise) and
 * duration/size unit conversion (values stay as written).
 */

export type HoconValue = string | number | boolean | null | HoconValue[] | HoconObject
export interface HoconObject {
  [key: string]: HoconValue
}

/** Where a key was (last) set: for error messages that point at the line to fix. */
export interface ConfigOrigin {
  file: string
  line: number
}

export interface HoconConfig {
  /** The resolved config; objects have no prototype, so any key name is safe. */
  readonly root: HoconObject
  /** Absolute paths of every file read: the main file first, then includes in the order met. */
  readonly files: string[]
  /** The file and line that set `configPath` (dotted string or key array), if it was set by a file. */
  originOf(configPath: string | readonly string[]): ConfigOrigin | undefined
}

export interface HoconOptions {
  /** Variables `${X}` falls back to when the config does not define X; default process.env. */
  env?: Record<string, string | undefined>
  /** Folders searched by `include classpath("…")` (for the server: conf/, as its classpath starts with conf). */
  classpathDirs?: string[]
  /** Told about includes that were skipped (missing optional files, url includes) and kept substitutions. */
  warn?: (message: string) => void
  /**
   * A required `${X}` found neither in the config nor in `env`: 'error' (default, as HOCON says) or 'keep' it as
   * the text `${X}` with a warning. The server may define X where this tool cannot see it (its service's
   * environment, its built-in reference.conf), so a reader that must not refuse a working home keeps it.
   */
  unresolved?: 'error' | 'keep'
}

// ---------------------------------------------------------------------------------------------------------------
// Unresolved tree: what parsing builds, before substitutions are resolved.

interface Scalar {
  kind: 'scalar'
  type: 'string' | 'number' | 'boolean' | 'null'
  text: string
}
interface Obj {
  kind: 'object'
  fields: Map<string, Node>
  /** A pending value this object was merged onto (`a = ${b}` then `a { c = 1 }`): resolved first, then overlaid. */
  base?: Pending
}
interface Arr {
  kind: 'array'
  items: Node[]
}
type Part = Node | { kind: 'ws'; text: string } | Subst
interface Subst {
  kind: 'subst'
  /** Path looked up, made relative to where an included file was included. */
  path: string[]
  /** Path as written, tried when the relative one is not found, and the environment variable name. */
  written: string[]
  expression: string
  optional: boolean
  origin: ConfigOrigin
}
interface Pending {
  kind: 'pending'
  parts: Part[]
  /** The field this value is assigned to: a substitution of this path or below means the previous value. */
  fieldPath: string[]
  /** The value the field had before this assignment (for self-references, `+=`, and fallback of `${?x}`). */
  prior?: Node
  hasPrior: boolean
  origin: ConfigOrigin
  state: 'new' | 'busy' | 'done'
  result?: Node
}
type Node = Scalar | Obj | Arr | Pending

const pathKey = (keys: readonly string[]): string => keys.join('\u0000')

function newObject(): Obj {
  return { kind: 'object', fields: new Map() }
}

// ---------------------------------------------------------------------------------------------------------------
// Public entry points

/** Reads and resolves a HOCON file. Errors are ConfigParseError naming the file and line at fault. */
export function parseHoconFile(file: string, options: HoconOptions = {}): HoconConfig {
  const absolute = path.resolve(file)
  const text = readIncludedText(absolute, absolute, 1)
  if (text === undefined) throw new ConfigParseError(absolute, 1, 'file not found')
  return parseHocon(text, absolute, options)
}

/** Parses and resolves HOCON text; `file` names it in errors and anchors relative includes. */
export function parseHocon(text: string, file: string, options: HoconOptions = {}): HoconConfig {
  const absolute = path.resolve(file)
  const state: ParseState = {
    options,
    files: [absolute],
    origins: new Map(),
    includeStack: [absolute]
  }
  const root = newObject()
  new Parser(tokenize(text, absolute), absolute, [], state).parseDocument(root)
  const resolved = new Resolver(root, options).resolveRoot()
  const origins = state.origins
  return {
    root: resolved,
    files: state.files,
    originOf: configPath => origins.get(pathKey(toKeys(configPath)))
  }
}

/** The value at `configPath` ('xl.database.db-url' or a key array), or undefined when absent. */
export function getValue(config: HoconConfig, configPath: string | readonly string[]): HoconValue | undefined {
  let node: HoconValue | undefined = config.root
  for (const key of toKeys(configPath)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined
    node = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined
    if (node === undefined) return undefined
  }
  return node
}

/**
 * A string setting: numbers and booleans are given as written (HOCON treats them as strings where one is asked
 * for), null and absent keys as undefined; an object or array is a ConfigParseError at the line that set it.
 */
export function getString(config: HoconConfig, configPath: string | readonly string[]): string | undefined {
  const value = getValue(config, configPath)
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object') throw wrongType(config, configPath, 'a string', value)
  return String(value)
}

/** An object setting, or undefined when absent; anything else is a ConfigParseError at the line that set it. */
export function getObject(config: HoconConfig, configPath: string | readonly string[]): HoconObject | undefined {
  const value = getValue(config, configPath)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(config, configPath, 'an object', value)
  return value
}

/** Whether `configPath` is set (to anything, null included). */
export function hasPath(config: HoconConfig, configPath: string | readonly string[]): boolean {
  return getValue(config, configPath) !== undefined
}

function wrongType(
  config: HoconConfig,
  configPath: string | readonly string[],
  expected: string,
  value: HoconValue
): XlrBackupError {
  const keys = toKeys(configPath)
  const found = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`
  const origin = config.originOf(keys) ?? { file: config.files[0], line: 1 }
  return new ConfigParseError(origin.file, origin.line, `${keys.join('.')} should be ${expected}, but it is ${found}`)
}

function toKeys(configPath: string | readonly string[]): string[] {
  return typeof configPath === 'string' ? parsePathExpression(configPath, '<config path>', 1) : [...configPath]
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

interface ParseState {
  options: HoconOptions
  files: string[]
  origins: Map<string, ConfigOrigin>
  includeStack: string[]
}

class Parser {
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

function readIncludedText(file: string, includingFile: string, line: number): string | undefined {
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

function unquotedScalar(text: string): Scalar {
  if (text === 'true' || text === 'false') return { kind: 'scalar', type: 'boolean', text }
  if (text === 'null') return { kind: 'scalar', type: 'null', text }
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return { kind: 'scalar', type: 'number', text }
  return { kind: 'scalar', type: 'string', text }
}

function pendingOf(parts: Part[], fieldPath: string[], origin: ConfigOrigin): Pending {
  return { kind: 'pending', parts, fieldPath, hasPrior: false, origin, state: 'new' }
}

/** An array holding a substitution makes its field pending, so self-references in it see the previous value. */
function containsPending(part: Part): boolean {
  if (part.kind === 'pending') return true
  if (part.kind === 'array') return part.items.some(containsPending)
  return false
}

/**
 * Sets `key` of `target` by HOCON's merge rule: an object onto an object merges key by key, anything else
 * replaces (remembering the replaced value for self-references and optional substitutions).
 */
function assign(target: Obj, key: string, value: Node): void {
  const existing = target.fields.get(key)
  if (value.kind === 'object' && !value.base && existing?.kind === 'object') {
    for (const [k, v] of value.fields) assign(existing, k, v)
    return
  }
  if (value.kind === 'object' && !value.base && existing?.kind === 'pending') {
    value.base = existing
  } else if (value.kind === 'object' && value.base) {
    rememberPrior(value.base, existing)
  } else if (value.kind === 'pending') {
    rememberPrior(value, existing)
  }
  target.fields.set(key, value)
}

/**
 * Records what `pending` replaces. A value parsed inside an object literal learns its previous value only when the
 * literal is merged into the config (`a = 1` then `{ a = ${?x} }`), so the earliest value of a chain of
 * replacements is the one that takes it.
 */
function rememberPrior(pending: Pending, existing: Node | undefined): void {
  if (existing === undefined || existing === pending) return
  if (!pending.hasPrior) {
    pending.hasPrior = true
    pending.prior = existing
    return
  }
  const earlier = pending.prior
  if (earlier?.kind === 'pending') rememberPrior(earlier, existing)
  else if (earlier?.kind === 'object' && earlier.base) rememberPrior(earlier.base, existing)
}

/**
 * Concatenates value parts: objects merge, lists append, anything else joins as text (whitespace between parts
 * kept). A lone part keeps its type. `clone` copies objects first when they come from substitutions (shared).
 */
function combineParts(parts: (Node | { kind: 'ws'; text: string })[], origin: ConfigOrigin, clone: boolean): Node {
  const values = parts.filter((p): p is Node => p.kind !== 'ws')
  if (values.length === 1) return clone ? deepClone(values[0]) : values[0]
  const kinds = new Set(values.map(v => (v.kind === 'scalar' ? 'scalar' : v.kind)))
  if (kinds.size > 1) {
    const names = [...kinds].map(k => (k === 'array' ? 'a list' : k === 'object' ? 'an object' : 'text')).join(' and ')
    throw new ConfigParseError(origin.file, origin.line, `cannot concatenate ${names} in one value`)
  }
  if (kinds.has('object')) {
    const merged = newObject()
    for (const v of values)
      for (const [k, child] of (v as Obj).fields) assign(merged, k, clone ? deepClone(child) : child)
    return merged
  }
  if (kinds.has('array')) {
    return { kind: 'array', items: values.flatMap(v => (v as Arr).items.map(i => (clone ? deepClone(i) : i))) }
  }
  let text = ''
  for (const p of parts) text += p.kind === 'ws' ? p.text : (p as Scalar).text
  return { kind: 'scalar', type: 'string', text }
}

function deepClone(node: Node): Node {
  if (node.kind === 'object') {
    const copy = newObject()
    for (const [k, v] of node.fields) copy.fields.set(k, deepClone(v))
    return copy
  }
  if (node.kind === 'array') return { kind: 'array', items: node.items.map(deepClone) }
  return node
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution of substitutions

class Resolver {
  private readonly env: Record<string, string | undefined>

  constructor(
    private readonly root: Obj,
    private readonly options: HoconOptions
  ) {
    this.env = options.env ?? process.env
  }

  resolveRoot(): HoconObject {
    this.resolveObject(this.root)
    return toPlain(this.root) as HoconObject
  }

  /** Fully resolves `node`; undefined when it is an optional substitution that found nothing. */
  private resolve(node: Node): Node | undefined {
    switch (node.kind) {
      case 'scalar':
        return node
      case 'object':
        return this.resolveObject(node)
      case 'array': {
        const items: Node[] = []
        for (const item of node.items) {
          const r = this.resolve(item)
          if (r !== undefined) items.push(r)
        }
        node.items = items
        return node
      }
      case 'pending':
        return this.resolvePending(node)
    }
  }

  private resolveObject(obj: Obj): Obj {
    this.flattenBase(obj)
    for (const [key, child] of [...obj.fields]) {
      const r = this.resolve(child)
      if (r === undefined) obj.fields.delete(key)
      else obj.fields.set(key, r)
    }
    return obj
  }

  /** An object merged onto a pending value: once the value is known, lay the object's keys over it. */
  private flattenBase(obj: Obj): void {
    if (!obj.base) return
    const base = this.resolvePending(obj.base)
    obj.base = undefined
    if (base?.kind !== 'object') return
    const overlay = obj.fields
    const merged = deepClone(base) as Obj
    for (const [k, v] of overlay) assign(merged, k, v)
    obj.fields = merged.fields
  }

  private resolvePending(p: Pending): Node | undefined {
    if (p.state === 'done') return p.result
    if (p.state === 'busy') {
      throw new ConfigParseError(
        p.origin.file,
        p.origin.line,
        `substitution cycle: the value of ${p.fieldPath.join('.')} depends on itself`
      )
    }
    p.state = 'busy'
    const parts: (Node | { kind: 'ws'; text: string })[] = []
    for (const part of p.parts) {
      if (part.kind === 'ws') parts.push(part)
      else if (part.kind === 'subst') {
        const found = this.lookupSubst(part, p)
        if (found !== undefined) parts.push(found)
      } else {
        const r = this.resolve(part)
        if (r !== undefined) parts.push(r)
      }
    }
    while (parts.length && parts[parts.length - 1].kind === 'ws') parts.pop()
    while (parts.length && parts[0].kind === 'ws') parts.shift()
    let result: Node | undefined
    const prior = (): Node | undefined => (p.hasPrior && p.prior ? this.resolve(p.prior) : undefined)
    if (parts.length === 0) {
      // `a = ${?missing}` leaves a as it was.
      result = prior()
    } else {
      result = combineParts(parts, p.origin, true)
      const previous = result.kind === 'object' ? prior() : undefined
      if (result.kind === 'object' && previous?.kind === 'object') {
        const merged = deepClone(previous) as Obj
        for (const [k, v] of result.fields) assign(merged, k, v)
        result = this.resolveObject(merged)
      }
    }
    p.state = 'done'
    p.result = result
    return result
  }

  private lookupSubst(s: Subst, within: Pending): Node | undefined {
    let found: Node | undefined
    if (startsWith(s.path, within.fieldPath)) {
      // A reference to the field being set (or inside it) means its previous value: `path = ${path}":/x"`.
      const prior = within.hasPrior ? within.prior : undefined
      found = prior === undefined ? undefined : this.walk(prior, s.path.slice(within.fieldPath.length))
    } else {
      found = this.walk(this.root, s.path)
      if (found === undefined && s.written.length !== s.path.length) found = this.walk(this.root, s.written)
    }
    if (found === undefined) {
      const fromEnv = this.env[s.written.join('.')]
      if (fromEnv !== undefined) found = { kind: 'scalar', type: 'string', text: fromEnv }
    }
    if (found === undefined && !s.optional && this.options.unresolved === 'keep') {
      this.options.warn?.(
        `${s.origin.file}:${s.origin.line}: \${${s.expression}} is not set in the config nor in this environment; ` +
          `kept as written. If the server gets it from its own environment, set ${s.written.join('.')} here too.`
      )
      return { kind: 'scalar', type: 'string', text: `\${${s.expression}}` }
    }
    if (found === undefined && !s.optional) {
      throw new ConfigParseError(
        s.origin.file,
        s.origin.line,
        `\${${s.expression}} is not set in the config nor as an environment variable; set it, or write \${?${s.expression}} if it is optional`
      )
    }
    return found
  }

  private walk(start: Node, keys: string[]): Node | undefined {
    let node: Node | undefined = start
    for (const key of keys) {
      if (node?.kind === 'pending') node = this.resolvePending(node)
      if (node?.kind !== 'object') return undefined
      this.flattenBase(node)
      node = node.fields.get(key)
      if (node === undefined) return undefined
    }
    return this.resolve(node!)
  }
}

function startsWith(full: string[], prefix: string[]): boolean {
  return prefix.length > 0 && full.length >= prefix.length && prefix.every((k, i) => full[i] === k)
}

function toPlain(node: Node): HoconValue {
  switch (node.kind) {
    case 'object': {
      const out: HoconObject = Object.create(null) as HoconObject
      for (const [k, v] of node.fields) out[k] = toPlain(v)
      return out
    }
    case 'array':
      return node.items.map(toPlain)
    case 'scalar':
      if (node.type === 'boolean') return node.text === 'true'
      if (node.type === 'null') return null
      if (node.type === 'number' && String(Number(node.text)) === node.text) return Number(node.text)
      return node.text
    case 'pending':
      // Resolution replaces every pending value; reaching one is a bug in this module.
      throw new Error(`unresolved value at ${node.fieldPath.join('.')}`)
  }
}
