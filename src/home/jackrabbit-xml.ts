import { ConfigParseError } from '../shared/errors.js'

/** The params of one PersistenceManager / DataStore / FileSystem element. */
export interface JackrabbitComponent {
  element: 'PersistenceManager' | 'DataStore' | 'FileSystem'
  /** Element path, e.g. 'Repository/Workspace/PersistenceManager'. */
  location: string
  className: string | null
  params: Record<string, string>
  /** Where each param's raw `value` attribute text sits in the file ([start, end) offsets), for rewriting it. */
  valueSpans: Record<string, [number, number]>
  /** Offset just after the start tag (where a new param can go); null for a self-closing element. */
  bodyStart: number | null
  line: number
}

const COMPONENTS = new Set(['PersistenceManager', 'DataStore', 'FileSystem'])

/**
 * Reads the components of a Jackrabbit repository.xml with a small tolerant XML scanner: elements, attributes in
 * single or double quotes, comments, CDATA, processing instructions and a DOCTYPE (with internal subset) are
 * understood; predefined and numeric entities are decoded. Malformed markup (an unterminated comment, tag or
 * attribute, or a closing tag that does not match) is a ConfigParseError with the line.
 */
export function parseJackrabbitXml(text: string, file: string): JackrabbitComponent[] {
  const components: JackrabbitComponent[] = []
  const stack: { name: string; line: number; component?: JackrabbitComponent }[] = []
  let i = 0
  let line = 1
  const fail = (atLine: number, detail: string): never => {
    throw new ConfigParseError(file, atLine, detail)
  }
  const advanceTo = (end: number): void => {
    for (let k = i; k < end; k++) if (text[k] === '\n') line++
    i = end
  }
  const skipPast = (terminator: string, what: string): void => {
    const end = text.indexOf(terminator, i)
    if (end < 0) fail(line, `${what} is never closed (missing '${terminator}')`)
    advanceTo(end + terminator.length)
  }

  while (i < text.length) {
    const lt = text.indexOf('<', i)
    if (lt < 0) break
    advanceTo(lt)
    if (text.startsWith('<!--', i)) skipPast('-->', 'comment <!--')
    else if (text.startsWith('<![CDATA[', i)) skipPast(']]>', 'CDATA section')
    else if (text.startsWith('<?', i)) skipPast('?>', 'processing instruction <?')
    else if (text.startsWith('<!', i)) skipDoctype()
    else if (text.startsWith('</', i)) {
      const tagLine = line
      const end = text.indexOf('>', i)
      if (end < 0) fail(tagLine, 'closing tag is never closed (missing ">")')
      const name = text.slice(i + 2, end).trim()
      const open = stack.pop()
      if (!open) fail(tagLine, `closing tag </${name}> has no matching opening tag`)
      if (open!.name !== name)
        fail(tagLine, `closing tag </${name}> does not match <${open!.name}> opened at line ${open!.line}`)
      advanceTo(end + 1)
    } else {
      readStartTag()
    }
  }
  if (stack.length) {
    const open = stack[stack.length - 1]
    fail(open.line, `<${open.name}> opened here is never closed`)
  }
  return components

  function skipDoctype(): void {
    const startLine = line
    let depth = 0
    for (let k = i + 2; k < text.length; k++) {
      const c = text[k]
      if (c === '[') depth++
      else if (c === ']') depth--
      else if (c === '>' && depth <= 0) {
        advanceTo(k + 1)
        return
      }
    }
    fail(startLine, 'declaration <!… is never closed (missing ">")')
  }

  function readStartTag(): void {
    const tagLine = line
    let k = i + 1
    const nameStart = k
    while (k < text.length && /[^\s/>]/.test(text[k])) k++
    const name = text.slice(nameStart, k)
    if (!name) fail(tagLine, "'<' is not followed by an element name; write &lt; for a literal '<'")
    const attributes: Record<string, string> = {}
    const spans: Record<string, [number, number]> = {}
    let selfClosing = false
    for (;;) {
      while (k < text.length && /\s/.test(text[k])) k++
      if (k >= text.length) fail(tagLine, `tag <${name}> is never closed (missing ">")`)
      if (text[k] === '>') {
        k++
        break
      }
      if (text.startsWith('/>', k)) {
        selfClosing = true
        k += 2
        break
      }
      const attrStart = k
      while (k < text.length && /[^\s=/>]/.test(text[k])) k++
      const attr = text.slice(attrStart, k)
      while (k < text.length && /\s/.test(text[k])) k++
      if (text[k] !== '=') fail(tagLine, `attribute ${attr || '(unnamed)'} of <${name}> has no value (expected ="…")`)
      k++
      while (k < text.length && /\s/.test(text[k])) k++
      const quote = text[k]
      if (quote !== '"' && quote !== "'") fail(tagLine, `attribute ${attr} of <${name}> must be quoted`)
      const close = text.indexOf(quote, k + 1)
      if (close < 0) fail(tagLine, `attribute ${attr} of <${name}> is never closed (missing ${quote})`)
      attributes[attr] = decodeEntities(text.slice(k + 1, close))
      spans[attr] = [k + 1, close]
      k = close + 1
    }
    const ancestors = stack.map(s => s.name)
    advanceTo(k)
    if (name === 'param') {
      const owner = [...stack].reverse().find(s => s.component)?.component
      if (owner && attributes.name !== undefined) {
        owner.params[attributes.name] = attributes.value ?? ''
        if (spans.value) owner.valueSpans[attributes.name] = spans.value
        else delete owner.valueSpans[attributes.name]
      }
    }
    let component: JackrabbitComponent | undefined
    if (COMPONENTS.has(name)) {
      component = {
        element: name as JackrabbitComponent['element'],
        location: [...ancestors, name].join('/'),
        className: attributes.class ?? null,
        params: Object.create(null) as Record<string, string>,
        valueSpans: Object.create(null) as Record<string, [number, number]>,
        bodyStart: selfClosing ? null : k,
        line: tagLine
      }
      components.push(component)
    }
    if (!selfClosing) stack.push({ name, line: tagLine, component })
  }
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Decodes the five predefined entities and numeric references; an unknown entity is kept as written. */
export function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16), whole)
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10), whole)
    return NAMED_ENTITIES[ref] ?? whole
  })
}

function safeCodePoint(code: number, fallback: string): string {
  return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback
}

/** Text safe inside a double- or single-quoted XML attribute. */
export function escapeXmlAttribute(value: string): string {
  return value.replace(
    /[&<>"']/g,
    c => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as const)[c as '&']};`
  )
}
