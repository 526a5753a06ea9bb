import { InputError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'

/**
 * The `exclude` input: newline-separated globs matched against the whole path relative to the home ('log/x.log').
 * `*` and `?` stay inside one path segment (dot-files included), `**` spans any number of segments, `[abc]`/`[!a-z]`
 * are character classes, a trailing `/` limits a pattern to folders, `#` starts a comment line. Patterns are anchored
 * at the home: `*.log` is top level only, `**\/*.log` is anywhere. An excluded folder is not descended into; `log/**`
 * drops the contents but keeps the (then empty) `log/` folder, `log` or `log/` drops the folder itself.
 * node's `path.matchesGlob` is still experimental on Node 20 (it prints a warning) and skips dot-files under `**`.
 */
/** A compiled rule as plain data, which can cross to a worker thread. */
export interface PortableRule {
  pattern: string
  source: string
  flags: string
  dirOnly: boolean
}

export class ExcludeMatcher {
  private readonly rules: { pattern: string; regex: RegExp; dirOnly: boolean }[]

  private constructor(rules: { pattern: string; regex: RegExp; dirOnly: boolean }[]) {
    this.rules = rules
  }

  static none(): ExcludeMatcher {
    return new ExcludeMatcher([])
  }

  /** Parses the input's lines (a string with newlines, or lines already split); throws InputError('exclude'). */
  static parse(input: string | readonly string[], inputName: Input = Input.Exclude): ExcludeMatcher {
    const lines = typeof input === 'string' ? input.split(/\r?\n/) : input.flatMap(l => l.split(/\r?\n/))
    const rules = []
    for (const raw of lines) {
      const line = raw.trim()
      if (line === '' || line.startsWith('#')) continue
      rules.push(compile(line, inputName))
    }
    return new ExcludeMatcher(rules)
  }

  /** The patterns as given (normalised), for the manifest. */
  get patterns(): string[] {
    return this.rules.map(r => r.pattern)
  }

  /** The compiled rules as plain data, for a worker thread to rebuild with `fromPortable` (see count-tree.ts). */
  get portableRules(): PortableRule[] {
    return this.rules.map(r => ({
      pattern: r.pattern,
      source: r.regex.source,
      flags: r.regex.flags,
      dirOnly: r.dirOnly
    }))
  }

  /**
   * The matcher `portableRules` came from. The compiled rules travel rather than the patterns: parsing a normalised
   * pattern again is not always the same rule ('./#x' is the pattern '#x', which would then read as a comment).
   */
  static fromPortable(rules: readonly PortableRule[]): ExcludeMatcher {
    return new ExcludeMatcher(
      rules.map(r => ({ pattern: r.pattern, regex: new RegExp(r.source, r.flags), dirOnly: r.dirOnly }))
    )
  }

  /** `rel` uses '/' separators and has no leading or trailing slash. */
  excludes(rel: string, isDirectory: boolean): boolean {
    for (const r of this.rules) {
      if (r.dirOnly && !isDirectory) continue
      if (r.regex.test(rel)) return true
    }
    return false
  }
}

function compile(line: string, inputName: Input): { pattern: string; regex: RegExp; dirOnly: boolean } {
  const fail = (why: string): never => {
    throw new InputError(
      inputName,
      `The ${inputName} pattern '${line}' ${why}. Write globs relative to the home with '/' between folders, e.g. 'log/**' or '**/*.tmp'.`
    )
  }
  if (line.includes('\\')) fail("contains a backslash (use '/' between folders)")
  let p = line
  while (p.startsWith('./')) p = p.slice(2)
  if (p.startsWith('/')) p = p.replace(/^\/+/, '')
  const dirOnly = p.endsWith('/')
  p = p.replace(/\/+$/, '')
  if (p === '') fail('matches the home itself')
  const segments = p.split('/')
  if (segments.some(s => s === '')) fail("has an empty folder name ('//')")
  if (segments.some(s => s === '..' || s === '.')) fail("uses '.' or '..' (patterns cannot leave the home)")
  let re = ''
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1
    if (seg === '**') {
      if (last) re += i === 0 ? '.*' : '/.*'
      else re += i === 0 ? '(?:.*/)?' : '/(?:.*/)?'
      return
    }
    if (i > 0 && segments[i - 1] !== '**') re += '/'
    re += segmentRegex(seg, fail)
  })
  return { pattern: dirOnly ? `${p}/` : p, regex: new RegExp(`^${re}$`, 'u'), dirOnly }
}

function segmentRegex(seg: string, fail: (why: string) => never): string {
  let out = ''
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]
    if (c === '*') {
      while (seg[i + 1] === '*') i++
      out += '[^/]*'
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '[') {
      const end = seg.indexOf(']', i + 2)
      if (end < 0) fail("has a '[' without its ']'")
      let body = seg.slice(i + 1, end)
      const negate = body.startsWith('!') || body.startsWith('^')
      if (negate) body = body.slice(1)
      const escaped = body.replace(/[\\\]^]/g, '\\$&')
      out += negate ? `[^/${escaped}]` : `[${escaped}]`
      i = end
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
    }
  }
  return out
}
