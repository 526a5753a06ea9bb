import { mkdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { ConfigParseError } from '../../src/shared/errors.js'
import { getObject, getString, getValue, hasPath, parseHocon, parseHoconFile } from '../../src/home/hocon.js'
import { HomeFixtures } from '../support/home-fixtures.js'
import { thrownBy } from '../support/thrown.js'

const FILE = '/etc/xlr/test.conf'
const parse = (text: string, env: Record<string, string> = {}) => parseHocon(text, FILE, { env })
const plain = (text: string, env: Record<string, string> = {}): unknown =>
  JSON.parse(JSON.stringify(parse(text, env).root))

const parseError = (text: string, env: Record<string, string> = {}): ConfigParseError =>
  thrownBy(ConfigParseError, () => parse(text, env))

describe('HOCON objects and keys', () => {
  it('accepts =, : and nothing before {', () => {
    expect(plain('a = 1\nb: 2\nc { d = 3 }\ne = { f: 4 }')).toEqual({ a: 1, b: 2, c: { d: 3 }, e: { f: 4 } })
  })

  it('accepts a root object in braces and commas between fields', () => {
    expect(plain('{ a = 1, b = 2, }')).toEqual({ a: 1, b: 2 })
  })

  it('expands dotted keys into nested objects', () => {
    expect(plain('xl.database.db-url = "u"\nxl.database.db-username = n')).toEqual({
      xl: { database: { 'db-url': 'u', 'db-username': 'n' } }
    })
  })

  it('keeps dots inside quoted keys and joins quoted and unquoted parts', () => {
    expect(plain('"a.b" = 1\nx."y.z".w = 2\n"" = 3')).toEqual({ 'a.b': 1, x: { 'y.z': { w: 2 } }, '': 3 })
  })

  it('keeps whitespace inside a key', () => {
    expect(plain('foo bar = 1')).toEqual({ 'foo bar': 1 })
  })

  it('merges repeated object keys and lets later scalars win', () => {
    const text = `
      xl { database { db-url = "a", max-pool-size = 5 } }
      xl { database { db-url = "b" } }
      xl.database.db-username = u
      port = 1
      port = 2`
    expect(plain(text)).toEqual({
      xl: { database: { 'db-url': 'b', 'max-pool-size': 5, 'db-username': 'u' } },
      port: 2
    })
  })

  it('replaces an object with a scalar and a scalar with an object', () => {
    expect(plain('a { x = 1 }\na = 5')).toEqual({ a: 5 })
    expect(plain('a { x = 1 }\na = 5\na { y = 2 }')).toEqual({ a: { y: 2 } })
  })

  it('reads a value on the line after the separator', () => {
    expect(plain('a =\n  "value on the next line"\nb {\n}')).toEqual({ a: 'value on the next line', b: {} })
  })

  it('reads a file saved with Windows line ends and a byte-order mark', () => {
    expect(
      plain(
        '\uFEFFxl {\r\n  database {\r\n    db-url = "jdbc:sqlserver://h:1433;databaseName=xlr"\r\n    n = a b\r\n  }\r\n}\r\n'
      )
    ).toEqual({
      xl: { database: { 'db-url': 'jdbc:sqlserver://h:1433;databaseName=xlr', n: 'a b' } }
    })
  })

  it('gives objects no prototype, so odd key names are plain keys', () => {
    const config = parse('__proto__ { polluted = true }\nconstructor = 1')
    expect(getString(config, '__proto__.polluted')).toBe('true')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(getValue(config, 'constructor')).toBe(1)
  })
})

describe('HOCON values', () => {
  it('types unquoted numbers, booleans and null, and keeps quoted ones as strings', () => {
    expect(plain('a = 5516\nb = -1.5\nc = true\nd = false\ne = null\nf = "5516"\ng = "true"')).toEqual({
      a: 5516,
      b: -1.5,
      c: true,
      d: false,
      e: null,
      f: '5516',
      g: 'true'
    })
  })

  it('keeps numbers as written when a JS number would change them', () => {
    expect(plain('a = 1.0\nb = 007')).toEqual({ a: '1.0', b: '007' })
  })

  it('concatenates unquoted words with the whitespace between them', () => {
    expect(plain('a = foo bar   baz\nb = 10 seconds\nc = "x" y "z"')).toEqual({
      a: 'foo bar   baz',
      b: '10 seconds',
      c: 'x y z'
    })
  })

  it('decodes escapes in quoted strings', () => {
    expect(plain(String.raw`a = "tab\tnl\nq\"bs\\slash\/u\u00e9"`)).toEqual({ a: 'tab\tnl\nq"bs\\slash/ué' })
  })

  it('reads triple-quoted strings verbatim across lines, extra quotes included', () => {
    expect(plain('a = """line 1\n  "quoted" \\n not an escape\nline 3"""\nb = 2')).toEqual({
      a: 'line 1\n  "quoted" \\n not an escape\nline 3',
      b: 2
    })
    expect(plain('a = """x""""')).toEqual({ a: 'x"' })
  })

  it('counts lines inside triple-quoted strings for later errors', () => {
    expect(parseError('a = """1\n2\n3"""\nb = ').line).toBe(4)
  })

  it('reads arrays with commas, newlines and trailing commas, nested values included', () => {
    expect(plain('a = [1, "two", three]\nb = [\n  1\n  2,\n]\nc = [{ x = 1 }, [2]]\nd = []')).toEqual({
      a: [1, 'two', 'three'],
      b: [1, 2],
      c: [{ x: 1 }, [2]],
      d: []
    })
  })

  it('appends with += and concatenates arrays and objects', () => {
    expect(plain('a = [1]\na += 2\na += [3]\nb += x')).toEqual({ a: [1, 2, [3]], b: ['x'] })
    expect(plain('a = [1, 2] [3]\no = { x = 1 } { y = 2 }')).toEqual({ a: [1, 2, 3], o: { x: 1, y: 2 } })
  })
})

describe('HOCON comments', () => {
  it('drops # and // comments, whole-line and trailing', () => {
    expect(plain('# top\n// also\na = 1 # trailing\nb = 2 // trailing\nc { // after brace\n d = 3 }')).toEqual({
      a: 1,
      b: 2,
      c: { d: 3 }
    })
  })

  it('keeps # and // inside quoted strings, so a quoted JDBC URL is intact', () => {
    const url = 'jdbc:postgresql://db.example.com:5432/xlr?ssl=true#frag'
    expect(plain(`a = "${url}" // comment`)).toEqual({ a: url })
    expect(plain('a = "//not a comment" # but this is')).toEqual({ a: '//not a comment' })
  })

  it('ends unquoted text at // as the spec says', () => {
    expect(plain('a = foo//bar')).toEqual({ a: 'foo' })
  })

  it('refuses an unquoted JDBC URL with a line and a fix, instead of misreading it', () => {
    const error = parseError('\nxl.database.db-url = jdbc:postgresql://host:5432/xlr\n')
    expect(error.line).toBe(2)
    expect(error.file).toBe(FILE)
    expect(error.message).toContain('must be in double quotes')
    expect(error.message).toContain(`${FILE}:2:`)
  })
})

describe('HOCON substitutions', () => {
  it('resolves ${path} against the whole config, including keys defined later', () => {
    expect(plain('a = ${b.c}\nb { c = "x" }\nd = ${b}')).toEqual({ a: 'x', b: { c: 'x' }, d: { c: 'x' } })
  })

  it('uses the final value of a key that is set twice', () => {
    expect(plain('a = 1\nb = ${a}\na = 2')).toEqual({ a: 2, b: 2 })
  })

  it('concatenates substitutions with strings', () => {
    expect(plain('host = "db"\nurl = "jdbc:postgresql://"${host}":5432/xlr"')).toEqual({
      host: 'db',
      url: 'jdbc:postgresql://db:5432/xlr'
    })
  })

  it('falls back to environment variables', () => {
    expect(
      plain('p = ${DB_PASSWORD}\nq = ${?MISSING}\nr = ${?HOME_DIR}', { DB_PASSWORD: 's3', HOME_DIR: '/x' })
    ).toEqual({
      p: 's3',
      r: '/x'
    })
  })

  it('prefers the config over the environment', () => {
    expect(plain('USER = cfg\nu = ${USER}', { USER: 'env' })).toEqual({ USER: 'cfg', u: 'cfg' })
  })

  it('leaves a field as it was when ${?x} finds nothing', () => {
    expect(plain('a = 10\na = ${?NOPE}')).toEqual({ a: 10 })
    expect(plain('a = ${?NOPE}')).toEqual({})
    expect(plain('a = "x"${?NOPE}"y"')).toEqual({ a: 'xy' })
    expect(plain('a = [1, ${?NOPE}, 2]')).toEqual({ a: [1, 2] })
  })

  it('reads the previous value in a self-reference', () => {
    expect(plain('path = "/usr"\npath = ${path}":/opt"\npath = ${?path}":/x"')).toEqual({ path: '/usr:/opt:/x' })
    expect(plain('o { a = 1 }\no = ${o} { b = 2 }')).toEqual({ o: { a: 1, b: 2 } })
    expect(plain('x = ${?x} "start"')).toEqual({ x: 'start' })
    expect(plain('f { a = 1 }\nf = ${f.a}')).toEqual({ f: 1 })
  })

  it('gives a value set inside a block the previous value of the same key set outside it', () => {
    expect(plain('xl.database.db-password = "a"\nxl.database { db-password = ${?NOPE} }')).toEqual({
      xl: { database: { 'db-password': 'a' } }
    })
    expect(
      plain('xl { path = "/a" }\nxl { path = ${xl.path}":/b" }\nxl { path = ${?NOPE}, path = ${?NOPE2} }')
    ).toEqual({
      xl: { path: '/a:/b' }
    })
    expect(plain('a { b = [1] }\na { b += 2 }')).toEqual({ a: { b: [1, 2] } })
    expect(plain('base { u = 1 }\nx { a { z = 0 } }\nx { a = ${base}, a { c = 1 } }')).toEqual({
      base: { u: 1 },
      x: { a: { z: 0, u: 1, c: 1 } }
    })
  })

  it('merges an object substitution with the object it replaces and with objects set after it', () => {
    expect(plain('base { u = 1 }\na { x = 1 }\na = ${base}')).toEqual({ base: { u: 1 }, a: { x: 1, u: 1 } })
    expect(plain('base { u = 1, n { m = 1 } }\na = ${base}\na { v = 2, n { k = 2 } }')).toEqual({
      base: { u: 1, n: { m: 1 } },
      a: { u: 1, v: 2, n: { m: 1, k: 2 } }
    })
  })

  it('copies substituted objects so later merges do not change the original', () => {
    expect(plain('base { n { m = 1 } }\na = ${base} { n { k = 2 } }')).toEqual({
      base: { n: { m: 1 } },
      a: { n: { m: 1, k: 2 } }
    })
  })

  it('reports a missing required substitution with file and line', () => {
    const error = parseError('a = 1\nb = ${nowhere.to.be.found}')
    expect(error.line).toBe(2)
    expect(error.message).toContain('${nowhere.to.be.found} is not set')
  })

  it('keeps an unresolvable substitution as written, with a warning, when asked to', () => {
    const warnings: string[] = []
    const config = parseHocon('a = 1\npw = ${DB_PASSWORD}\nurl = "jdbc:h2:file:"${xl.home}"/db"', FILE, {
      env: {},
      unresolved: 'keep',
      warn: m => warnings.push(m)
    })
    expect(getString(config, 'pw')).toBe('${DB_PASSWORD}')
    expect(getString(config, 'url')).toBe('jdbc:h2:file:${xl.home}/db')
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain(`${FILE}:2: \${DB_PASSWORD} is not set`)
  })

  it('reports a cycle instead of looping', () => {
    expect(parseError('a = ${b}\nb = ${a}').message).toContain('cycle')
    expect(parseError('bar { foo = 42, baz = ${bar} }').message).toContain('cycle')
  })

  it('does not resolve ${…} inside quoted strings', () => {
    expect(plain('a = "${not.a.substitution}"')).toEqual({ a: '${not.a.substitution}' })
  })

  it('refuses to concatenate an object with a string', () => {
    expect(parseError('o { a = 1 }\nx = ${o} "text"').message).toContain('cannot concatenate')
  })
})

describe('HOCON syntax errors name the file and line', () => {
  it.each([
    ['an unterminated string', 'a = 1\nb = "never closed\nc = 2', 2, 'never closed'],
    ['an unterminated triple-quoted string', 'a = """open', 1, 'never closed'],
    ['an unclosed brace (at the line that opened it)', 'a = 1\nxl {\n  b = 2\n', 2, "'{' opened here is never closed"],
    ['an extra closing brace', 'a = 1\n}\n', 2, "unexpected '}'"],
    ['an unclosed list', 'a = [1,\n2', 1, "'[' opened here is never closed"],
    ['a key with no value', 'a = 1\njust-a-key\n', 2, 'has no value'],
    ['a separator with no value', 'a =\n', 2, 'expected a value'],
    ['a separator with no value before the next key', 'a =\nb = 1', 1, 'a has no value'],
    ['two values on one line', 'a = 1 } b = 2', 1, "unexpected '}'"],
    ['an empty key part', 'a..b = 1', 1, 'empty part'],
    ['a reserved character', 'a = foo@bar', 1, "unexpected character '@'"],
    ['a bad escape', 'a = "C:\\xlr\\conf"', 1, 'invalid escape'],
    ['an unclosed substitution', 'a = ${b', 1, 'never closed'],
    ['a double comma', 'a = 1,, b = 2', 1, "unexpected ','"],
    ['a root list', '[1, 2]', 1, 'must be an object'],
    ['a malformed include', 'include nonsense("x")', 1, 'malformed include']
  ])('%s', (_name, text, line, detail) => {
    const error = parseError(text)
    expect(error.file).toBe(FILE)
    expect(error.line).toBe(line)
    expect(error.message).toContain(detail)
  })

  it('never echoes a password into a syntax error', () => {
    const error = parseError('xl.database.db-password = "hunter2-secret\n')
    expect(error.message).not.toContain('hunter2')
  })
})

describe('HOCON includes', () => {
  const fixtures = new HomeFixtures()
  afterAll(() => fixtures.cleanup())

  async function confDir(files: Record<string, string>): Promise<string> {
    const dir = await fixtures.dir()
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
      await writeFile(path.join(dir, name), text)
    }
    return dir
  }

  it('reads include "…", file(…) and required(file(…)) relative to the including file', async () => {
    const dir = await confDir({
      'main.conf': 'include "a.conf"\ninclude file("sub/b.conf")\ninclude required(file("c.conf"))\nmain = 1',
      'a.conf': 'a = 1',
      'sub/b.conf': 'b = 2\ninclude "b2.conf"',
      'sub/b2.conf': 'b2 = 22',
      'c.conf': 'c = 3'
    })
    const config = parseHoconFile(path.join(dir, 'main.conf'), { env: {} })
    expect(JSON.parse(JSON.stringify(config.root))).toEqual({ a: 1, b: 2, b2: 22, c: 3, main: 1 })
    expect(config.files.map(f => path.relative(dir, f))).toEqual([
      'main.conf',
      'a.conf',
      path.join('sub', 'b.conf'),
      path.join('sub', 'b2.conf'),
      'c.conf'
    ])
    expect(config.originOf('b2')).toEqual({ file: path.join(dir, 'sub', 'b2.conf'), line: 1 })
  })

  it('lets keys after an include override it, and the include override keys before it', async () => {
    const dir = await confDir({
      'main.conf': 'x = before\ny = before\ninclude "inc.conf"\ny = after',
      'inc.conf': 'x = inc\ny = inc'
    })
    expect(JSON.parse(JSON.stringify(parseHoconFile(path.join(dir, 'main.conf'), { env: {} }).root))).toEqual({
      x: 'inc',
      y: 'after'
    })
  })

  it('skips a missing optional include with a warning and refuses a missing required one', async () => {
    const dir = await confDir({
      'main.conf': 'include "absent.conf"\na = 1',
      'req.conf': 'a = 1\ninclude required("absent.conf")'
    })
    const warnings: string[] = []
    expect(
      JSON.parse(
        JSON.stringify(parseHoconFile(path.join(dir, 'main.conf'), { env: {}, warn: m => warnings.push(m) }).root)
      )
    ).toEqual({ a: 1 })
    expect(warnings.join('\n')).toContain('absent.conf')
    expect(() => parseHoconFile(path.join(dir, 'req.conf'), { env: {} })).toThrow(
      /req\.conf:2: required include "absent\.conf" not found/
    )
  })

  it('nests an include inside an object and relativizes its substitutions', async () => {
    const dir = await confDir({
      'main.conf': 'xl { database { include "db.conf" } }\nhost = "root-host"',
      'db.conf': 'host = "db-host"\ndb-url = "jdbc:postgresql://"${host}"/xlr"\nother = ${host}'
    })
    const config = parseHoconFile(path.join(dir, 'main.conf'), { env: {} })
    expect(getString(config, 'xl.database.db-url')).toBe('jdbc:postgresql://db-host/xlr')
    expect(getString(config, 'host')).toBe('root-host')
  })

  it('falls back to the root for a substitution an included file cannot find relative to itself', async () => {
    const dir = await confDir({ 'main.conf': 'shared = "s"\nxl { include "inc.conf" }', 'inc.conf': 'v = ${shared}' })
    expect(getString(parseHoconFile(path.join(dir, 'main.conf'), { env: {} }), 'xl.v')).toBe('s')
  })

  it('tries .conf, .json and .properties for an include without extension', async () => {
    const dir = await confDir({
      'main.conf': 'include "extra"\ninclude "props"',
      'extra.conf': 'e = 1',
      'props.properties': 'p.q = from properties'
    })
    expect(JSON.parse(JSON.stringify(parseHoconFile(path.join(dir, 'main.conf'), { env: {} }).root))).toEqual({
      e: 1,
      p: { q: 'from properties' }
    })
  })

  it('finds include classpath(…) in the classpath folders', async () => {
    const dir = await confDir({
      'main.conf': 'include classpath("reference-extra.conf")',
      'cp/reference-extra.conf': 'cp = yes'
    })
    expect(
      getString(parseHoconFile(path.join(dir, 'main.conf'), { env: {}, classpathDirs: [path.join(dir, 'cp')] }), 'cp')
    ).toBe('yes')
  })

  it('refuses an include loop', async () => {
    const dir = await confDir({ 'a.conf': 'include "b.conf"', 'b.conf': 'include "a.conf"' })
    expect(() => parseHoconFile(path.join(dir, 'a.conf'), { env: {} })).toThrow(/loops back/)
  })

  it('reports a syntax error in an included file at that file and line', async () => {
    const dir = await confDir({ 'main.conf': 'a = 1\ninclude "bad.conf"', 'bad.conf': '\n\nx {\n' })
    expect(() => parseHoconFile(path.join(dir, 'main.conf'), { env: {} })).toThrow(`${path.join(dir, 'bad.conf')}:3:`)
  })

  it('refuses a missing main file', () => {
    expect(() => parseHoconFile('/nonexistent/xl-release.conf')).toThrow(ConfigParseError)
  })
})

describe('typed accessors', () => {
  const config = parse('xl { database { db-url = "u", max-pool-size = 10, ssl = true, nothing = null }, list = [1] }')

  it('reads strings, numbers and booleans as strings', () => {
    expect(getString(config, 'xl.database.db-url')).toBe('u')
    expect(getString(config, 'xl.database.max-pool-size')).toBe('10')
    expect(getString(config, ['xl', 'database', 'ssl'])).toBe('true')
  })

  it('gives undefined for absent keys and null', () => {
    expect(getString(config, 'xl.database.nope')).toBeUndefined()
    expect(getString(config, 'xl.nope.deeper')).toBeUndefined()
    expect(getString(config, 'xl.database.nothing')).toBeUndefined()
    expect(hasPath(config, 'xl.database.nothing')).toBe(true)
    expect(hasPath(config, 'xl.database.nope')).toBe(false)
  })

  it('reports a wrong type at the line that set it', () => {
    const multi = parse('\n\nxl.database = "not an object"')
    expect(() => getObject(multi, 'xl.database')).toThrow(
      `${FILE}:3: xl.database should be an object, but it is a string`
    )
    expect(() => getString(config, 'xl.database')).toThrow('should be a string, but it is an object')
    expect(() => getString(config, 'xl.list')).toThrow('a list')
  })
})
