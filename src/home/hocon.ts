import * as path from 'node:path'
import { ConfigParseError, XlrBackupError } from '../shared/errors.js'
import { parsePathExpression, tokenize } from './hocon-lexer.js'
import { Parser, readIncludedText, type ParseState } from './hocon-parser.js'
import { Resolver } from './hocon-resolve.js'
import { newObject, pathKey } from './hocon-tree.js'
import type { HoconConfig, HoconObject, HoconOptions, HoconValue } from './hocon-types.js'

/**
 * A small HOCON reader for the files an XL Release home holds (conf/xl-release.conf and what it includes).
 * It follows https://github.com/lightbend/config/blob/main/HOCON.md for what such files use: objects and arrays,
 * `=`/`:`/nothing before `{`, dotted and quoted keys, merging of repeated keys, value concatenation, quoted,
 * triple-quoted and unquoted strings, `#`/`//` comments, `+=`, includes, and `${path}`/`${?path}` substitutions
 * resolved against the whole config after parsing (environment variables as fallback, self-references to the
 * previous value). Not supported: `include url(…)` (refused when required, skipped with a warning otherwise) and
 * duration/size unit conversion (values stay as written).
 */

export type { HoconConfig, HoconObject, HoconOptions, HoconValue } from './hocon-types.js'

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
