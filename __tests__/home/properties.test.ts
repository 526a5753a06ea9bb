import { ConfigParseError } from '../../src/shared/errors.js'
import { parseProperties } from '../../src/home/properties.js'
import { DEFAULT_SERVER_CONFIG, serverConfigFromProperties } from '../../src/home/server-config.js'
import { thrownBy } from '../support/thrown.js'

const FILE = '/home/xlr/conf/xl-release-server.conf'
const values = (text: string): Record<string, string> =>
  Object.fromEntries([...parseProperties(text, FILE).values()].map(e => [e.key, e.value]))

describe('parseProperties', () => {
  it('splits on =, : and whitespace, trimming around the separator', () => {
    expect(values('a=1\nb : 2\nc 3\nd\t=\t4\ne:=5\nf')).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '=5', f: '' })
  })

  it('skips # and ! comments and blank lines, with leading whitespace allowed', () => {
    expect(values('# comment\n   ! also a comment\n\n   \n  key = value # not a comment')).toEqual({
      key: 'value # not a comment'
    })
  })

  it('joins continuation lines, dropping the next line’s leading whitespace', () => {
    expect(values('path = /a:\\\n       /b:\\\n   /c\nnext = 1')).toEqual({ path: '/a:/b:/c', next: '1' })
  })

  it('does not continue a line that ends in an even number of backslashes', () => {
    expect(values('dir = C:\\\\\nnext = 1')).toEqual({ dir: 'C:\\', next: '1' })
  })

  it('does not continue comment lines', () => {
    expect(values('# comment \\\nkey = v')).toEqual({ key: 'v' })
  })

  it('decodes escapes, including escaped separators in keys and \\uXXXX', () => {
    expect(values('a\\=b\\:c\\ d = x\\ty\\nz\\\\w\\:\\=\nu = caf\\u00e9 \\u20AC\nother = \\q')).toEqual({
      'a=b:c d': 'x\ty\nz\\w:=',
      u: 'café €',
      other: 'q'
    })
  })

  it('handles CRLF and CR line ends', () => {
    expect(values('a=1\r\nb=2\rc=3')).toEqual({ a: '1', b: '2', c: '3' })
  })

  it('lets a later duplicate win and records its line', () => {
    const entries = parseProperties('http.port=1\n\nhttp.port=2', FILE)
    expect(entries.get('http.port')).toEqual({ key: 'http.port', value: '2', line: 3 })
  })

  it('records the first line of a continued entry', () => {
    expect(parseProperties('\na = 1\\\n 2\nb = 3', FILE).get('b')!.line).toBe(4)
  })

  it('reports a malformed \\u escape with file and line', () => {
    expect(() => parseProperties('ok = 1\nbad = \\u12G4', FILE)).toThrow(`${FILE}:2: malformed \\uXXXX escape`)
  })
})

describe('serverConfigFromProperties', () => {
  const server = (text: string) => serverConfigFromProperties(parseProperties(text, FILE), FILE)

  it('reads the keys of a real xl-release-server.conf', () => {
    const text = `#XL Release server configuration
#Mon Mar 04 10:12:45 UTC 2024
threads.min=3
http.bind.address=127.0.0.1
ssl=true
http.context.root=/xlr
server.url=https\\://xlr.example.com\\:5543/xlr/
http.port=5543
repository.keystore.password={b64}pYV3cDuZ9e3YxpDdi7Yd3Q\\=\\=
threads.max=24
`
    expect(server(text)).toEqual({
      httpPort: 5543,
      bindAddress: '127.0.0.1',
      contextRoot: '/xlr',
      ssl: true,
      serverUrl: 'https://xlr.example.com:5543/xlr/'
    })
  })

  it('uses the defaults for missing and empty keys', () => {
    expect(server('')).toEqual(DEFAULT_SERVER_CONFIG)
    expect(server('http.port=\nhttp.bind.address=   ')).toEqual(DEFAULT_SERVER_CONFIG)
  })

  it('treats ssl like Java’s Boolean.parseBoolean', () => {
    expect(server('ssl=TRUE').ssl).toBe(true)
    expect(server('ssl=yes').ssl).toBe(false)
  })

  it.each(['abc', '55 16', '0', '65536', '-1', '5516.0'])('refuses http.port=%s with file and line', port => {
    const error = thrownBy(ConfigParseError, () => server(`ssl=false\nhttp.port=${port}`))
    expect(error.line).toBe(2)
    expect(error.message).toContain(`${FILE}:2: http.port must be a whole number from 1 to 65535`)
  })
})
