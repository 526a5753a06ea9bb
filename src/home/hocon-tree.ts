import { ConfigParseError } from '../shared/errors.js'
import type { ConfigOrigin } from './hocon-types.js'

/**
 * The HOCON tree as parsing builds it, before substitutions are resolved, and HOCON's merge rule over it: repeated
 * keys merge when both values are objects, otherwise the later replaces the earlier (which is remembered, since a
 * self-reference or an optional substitution that finds nothing needs it).
 */

export interface Scalar {
  kind: 'scalar'
  type: 'string' | 'number' | 'boolean' | 'null'
  text: string
}
export interface Obj {
  kind: 'object'
  fields: Map<string, Node>
  /** A pending value this object was merged onto (`a = ${b}` then `a { c = 1 }`): resolved first, then overlaid. */
  base?: Pending
}
export interface Arr {
  kind: 'array'
  items: Node[]
}
export type Part = Node | { kind: 'ws'; text: string } | Subst
export interface Subst {
  kind: 'subst'
  /** Path looked up, made relative to where an included file was included. */
  path: string[]
  /** Path as written, tried when the relative one is not found, and the environment variable name. */
  written: string[]
  expression: string
  optional: boolean
  origin: ConfigOrigin
}
export interface Pending {
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
export type Node = Scalar | Obj | Arr | Pending

export const pathKey = (keys: readonly string[]): string => keys.join('\u0000')

export function newObject(): Obj {
  return { kind: 'object', fields: new Map() }
}

export function unquotedScalar(text: string): Scalar {
  if (text === 'true' || text === 'false') return { kind: 'scalar', type: 'boolean', text }
  if (text === 'null') return { kind: 'scalar', type: 'null', text }
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return { kind: 'scalar', type: 'number', text }
  return { kind: 'scalar', type: 'string', text }
}

export function pendingOf(parts: Part[], fieldPath: string[], origin: ConfigOrigin): Pending {
  return { kind: 'pending', parts, fieldPath, hasPrior: false, origin, state: 'new' }
}

/** An array holding a substitution makes its field pending, so self-references in it see the previous value. */
export function containsPending(part: Part): boolean {
  if (part.kind === 'pending') return true
  if (part.kind === 'array') return part.items.some(containsPending)
  return false
}

/**
 * Sets `key` of `target` by HOCON's merge rule: an object onto an object merges key by key, anything else
 * replaces (remembering the replaced value for self-references and optional substitutions).
 */
export function assign(target: Obj, key: string, value: Node): void {
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
export function rememberPrior(pending: Pending, existing: Node | undefined): void {
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
export function combineParts(
  parts: (Node | { kind: 'ws'; text: string })[],
  origin: ConfigOrigin,
  clone: boolean
): Node {
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

export function deepClone(node: Node): Node {
  if (node.kind === 'object') {
    const copy = newObject()
    for (const [k, v] of node.fields) copy.fields.set(k, deepClone(v))
    return copy
  }
  if (node.kind === 'array') return { kind: 'array', items: node.items.map(deepClone) }
  return node
}
