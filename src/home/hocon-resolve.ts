import { ConfigParseError } from '../shared/errors.js'
import type { HoconObject, HoconOptions, HoconValue } from './hocon-types.js'
import { assign, combineParts, deepClone, type Node, type Obj, type Pending, type Subst } from './hocon-tree.js'

/**
 * Resolves `${path}` / `${?path}` against the whole parsed config, then the environment. A reference to the field
 * being set (or below it) means its previous value; cycles are errors. Pending values are resolved once, in place.
 */

export class Resolver {
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
