import { isSecretKey, passwordsInJdbcUrl } from '../shared/jdbc-redact.js'
import type { Engine, HostPort, ParsedJdbcUrl } from './types.js'

export { redactJdbcUrl, passwordsInJdbcUrl } from '../shared/jdbc-redact.js'

/** Ports each engine listens on when a URL names none. */
export const DEFAULT_PORTS: Partial<Record<Engine, number>> = {
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
  oracle: 1521,
  sqlserver: 1433,
  db2: 50000,
  h2: 9092,
  derby: 1527
}

/**
 * Splits a JDBC URL into engine, host(s), port, database and parameters. Never throws: a URL it cannot read comes back
 * as engine 'unknown' with `problem` saying why, so the caller can name the input or config key at fault.
 */
export function parseJdbcUrl(url: string): ParsedJdbcUrl {
  const trimmed = url.trim()
  const m = /^jdbc:([a-z0-9]+)(?::|$)/i.exec(trimmed)
  if (!m) return unknown(`it does not start with 'jdbc:<driver>:'`)
  const sub = m[1].toLowerCase()
  const rest = trimmed.slice(m[0].length)
  try {
    switch (sub) {
      case 'postgresql':
      case 'pgsql':
        return parsePostgres(rest)
      case 'mysql':
        return parseMysqlFamily('mysql', rest)
      case 'mariadb':
        return parseMysqlFamily('mariadb', rest)
      case 'oracle':
        return parseOracle(rest)
      case 'sqlserver':
        return parseSqlServer(rest)
      case 'jtds':
        return parseJtds(rest)
      case 'db2':
        return parseDb2(rest)
      case 'h2':
        return parseH2(rest)
      case 'derby':
        return parseDerby(rest)
      default:
        return unknown(`the driver '${sub}' is not one this tool knows`)
    }
  } catch (e) {
    // A piece of the URL quoted in the reason may be its password (a port that is 'secret@host').
    let problem = (e as Error).message
    for (const secret of passwordsInJdbcUrl(trimmed)) problem = problem.split(secret).join('***')
    return unknown(problem)
  }
}

function unknown(problem: string): ParsedJdbcUrl {
  return { engine: 'unknown', host: null, port: null, hosts: [], database: null, params: {}, embedded: false, problem }
}

function result(
  engine: Engine,
  hosts: HostPort[],
  database: string | null,
  params: Record<string, string>
): ParsedJdbcUrl {
  return {
    engine,
    host: hosts[0]?.host ?? null,
    port: hosts[0]?.port ?? null,
    hosts,
    database: database === '' ? null : database,
    params,
    embedded: false
  }
}

/** 'a=1&b=2' → { a: '1', b: '2' }, percent-decoded. */
function queryParams(query: string, separator = '&'): Record<string, string> {
  const params: Record<string, string> = {}
  for (const part of query.split(separator)) {
    if (!part) continue
    const eq = part.indexOf('=')
    const key = eq < 0 ? part : part.slice(0, eq)
    const value = eq < 0 ? '' : part.slice(eq + 1)
    params[decode(key.trim())] = decode(value)
  }
  return params
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** One 'host', 'host:port', '[v6]' or '[v6]:port'. */
function hostPort(spec: string): HostPort {
  const s = spec.trim()
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    if (close < 0) throw new Error(`the IPv6 host '${s}' has no closing ']'`)
    const host = s.slice(1, close)
    const after = s.slice(close + 1)
    if (after && !after.startsWith(':')) throw new Error(`unexpected '${after}' after the IPv6 host [${host}]`)
    return { host, port: after ? port(after.slice(1)) : null }
  }
  const colon = s.lastIndexOf(':')
  if (colon < 0) return { host: s, port: null }
  return { host: s.slice(0, colon), port: port(s.slice(colon + 1)) }
}

function port(s: string): number | null {
  if (s === '') return null
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new Error(`the port '${s}' is not a number between 1 and 65535`)
  return Number(s)
}

/** Splits '//authority/path?query' into its three parts (authority may hold a comma list of hosts). */
function splitAuthority(rest: string): { authority: string; path: string; query: string } {
  const body = rest.slice(2)
  const q = body.indexOf('?')
  const beforeQuery = q < 0 ? body : body.slice(0, q)
  const query = q < 0 ? '' : body.slice(q + 1)
  const slash = beforeQuery.indexOf('/')
  return {
    authority: slash < 0 ? beforeQuery : beforeQuery.slice(0, slash),
    path: slash < 0 ? '' : beforeQuery.slice(slash + 1),
    query
  }
}

// jdbc:postgresql:db | jdbc:postgresql:/ | jdbc:postgresql://h1:p1,h2:p2/db?x=y | jdbc:postgresql://[::1]:5432/db
function parsePostgres(rest: string): ParsedJdbcUrl {
  if (!rest.startsWith('//')) {
    const q = rest.indexOf('?')
    const db = q < 0 ? rest : rest.slice(0, q)
    const params = q < 0 ? {} : queryParams(rest.slice(q + 1))
    return result('postgresql', [{ host: 'localhost', port: null }], decode(db.replace(/^\//, '')), params)
  }
  const { authority, path, query } = splitAuthority(rest)
  const hosts = authority ? authority.split(',').map(hostPort) : [{ host: 'localhost', port: null }]
  return result('postgresql', hosts, decode(path), queryParams(query))
}

// jdbc:mysql://[user:pass@]h:p[,h2:p2]/db?x=y, jdbc:mysql:loadbalance://…, jdbc:mariadb:failover://…,
// jdbc:mysql://address=(host=h)(port=p)(user=u)(password=x)/db, jdbc:mysql://(host=h,port=p,user=u,password=x)/db
function parseMysqlFamily(engine: 'mysql' | 'mariadb', rest: string): ParsedJdbcUrl {
  let body = rest
  const mode = /^([a-z]+):(?=\/\/)/i.exec(body)
  if (mode) body = body.slice(mode[0].length)
  if (!body.startsWith('//')) throw new Error(`expected '//host' after 'jdbc:${engine}:'`)
  const { authority, path, query } = splitAuthority(body)
  const params = queryParams(query)
  if (mode) params.haMode = mode[1].toLowerCase()
  let hostList = authority
  const at = authority.lastIndexOf('@')
  if (at >= 0) {
    const userInfo = authority.slice(0, at)
    hostList = authority.slice(at + 1)
    const colon = userInfo.indexOf(':')
    params.user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon))
    if (colon >= 0) params.password = decode(userInfo.slice(colon + 1))
  }
  const hosts = splitHosts(hostList).map(h => {
    const props = keyValueHost(h.trim())
    if (!props) return hostPort(h)
    // Connector/J lets each host carry its own credentials; the first host's are the ones a client would use.
    for (const key of ['user', 'password'])
      if (props[key] !== undefined && params[key] === undefined) params[key] = decode(props[key])
    // The message names the host by its fields only: the spec itself may hold a password.
    if (!props.host) throw new Error(`a key-value host of the URL names no host`)
    return { host: props.host.replace(/^\[|\]$/g, ''), port: props.port ? port(props.port) : null }
  })
  return result(engine, hosts.length ? hosts : [{ host: 'localhost', port: null }], decode(path), params)
}

/**
 * Connector/J's key-value host forms, as a lower-cased property map: `address=(host=h)(port=p)(password=x)` and
 * `(host=h,port=p,user=u,password=x)`. Null for a plain `host:port`.
 */
function keyValueHost(spec: string): Record<string, string> | null {
  const props: Record<string, string> = {}
  const address = /^address=(.*)$/i.exec(spec)
  if (address) {
    for (const m of address[1].matchAll(/\(\s*([^=()]+?)\s*=\s*([^)]*)\)/g)) props[m[1].toLowerCase()] = m[2].trim()
    return props
  }
  if (!spec.startsWith('(')) return null
  for (const part of spec.replace(/^\(|\)$/g, '').split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) props[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim()
  }
  return props
}

/** Splits 'h1:1,(h2),address=(host=x)(port=y)' on top-level commas only. */
function splitHosts(list: string): string[] {
  const out: string[] = []
  let depth = 0
  let current = ''
  for (const ch of list) {
    if (ch === '(' || ch === '[') depth++
    if (ch === ')' || ch === ']') depth--
    if (ch === ',' && depth === 0) {
      out.push(current)
      current = ''
    } else current += ch
  }
  if (current) out.push(current)
  return out.filter(h => h.trim() !== '')
}

// jdbc:oracle:thin:[user/pass]@host:port:SID | @host:port/service | @//host:port/service | @(DESCRIPTION=…) | @alias
function parseOracle(rest: string): ParsedJdbcUrl {
  const driver = /^(thin|oci8?|kprb)/i.exec(rest)
  const params: Record<string, string> = {}
  if (driver) params.driverType = driver[1].toLowerCase()
  // The last '@': a quoted password ("p@ss") may hold one.
  const at = rest.lastIndexOf('@')
  if (at < 0)
    throw new Error(`an Oracle URL needs '@' followed by the host, e.g. jdbc:oracle:thin:@//host:1521/service`)
  const creds = rest.slice(driver ? driver[0].length : 0, at).replace(/^:/, '')
  if (creds) {
    const slash = creds.indexOf('/')
    params.user = slash < 0 ? creds : creds.slice(0, slash)
    if (slash >= 0) params.password = creds.slice(slash + 1)
  }
  let spec = rest.slice(at + 1).trim()
  if (spec.startsWith('(')) {
    // A TNS descriptor: keep it whole for the custom command, and pick out the first address for messages.
    params.descriptor = spec
    const host = /\(\s*HOST\s*=\s*([^)\s]+)\s*\)/i.exec(spec)?.[1] ?? null
    const p = /\(\s*PORT\s*=\s*(\d+)\s*\)/i.exec(spec)?.[1]
    const service = /\(\s*SERVICE_NAME\s*=\s*([^)\s]+)\s*\)/i.exec(spec)?.[1]
    const sid = /\(\s*SID\s*=\s*([^)\s]+)\s*\)/i.exec(spec)?.[1]
    if (service) params.serviceName = service
    if (sid) params.sid = sid
    const hosts = host ? [{ host, port: p ? port(p) : null }] : []
    return result('oracle', hosts, service ?? sid ?? null, params)
  }
  const q = spec.indexOf('?')
  if (q >= 0) {
    Object.assign(params, queryParams(spec.slice(q + 1)))
    spec = spec.slice(0, q)
  }
  if (spec.startsWith('//')) spec = spec.slice(2)
  else if (/^(tcps?):\/\//i.test(spec)) {
    params.protocol = spec.slice(0, spec.indexOf(':')).toLowerCase()
    spec = spec.slice(spec.indexOf('//') + 2)
  }
  const slash = spec.indexOf('/')
  if (slash >= 0) {
    // host[:port]/service[:server][/instance]
    const service = spec.slice(slash + 1).split(/[:/]/)[0]
    params.serviceName = service
    return result('oracle', [hostPort(spec.slice(0, slash))], service, params)
  }
  const parts = splitOutsideBrackets(spec, ':')
  if (parts.length === 3) {
    params.sid = parts[2]
    return result('oracle', [{ host: unbracket(parts[0]), port: port(parts[1]) }], parts[2], params)
  }
  if (parts.length === 1 && /^[\w.-]+$/.test(spec)) {
    // A TNS alias: resolved through tnsnames.ora on the machine that runs the tools.
    params.tnsAlias = spec
    return result('oracle', [], spec, params)
  }
  throw new Error(`'@${spec}' is neither host:port:SID, //host:port/service nor a (DESCRIPTION=…)`)
}

function splitOutsideBrackets(s: string, sep: string): string[] {
  const out: string[] = []
  let depth = 0
  let current = ''
  for (const ch of s) {
    if (ch === '[') depth++
    if (ch === ']') depth--
    if (ch === sep && depth === 0) {
      out.push(current)
      current = ''
    } else current += ch
  }
  out.push(current)
  return out
}

function unbracket(h: string): string {
  return h.replace(/^\[(.*)\]$/, '$1')
}

// jdbc:sqlserver://[host[\instance][:port]][;prop=value…]; values may be {braced;with;semicolons}
function parseSqlServer(rest: string): ParsedJdbcUrl {
  if (!rest.startsWith('//')) throw new Error(`expected '//host' after 'jdbc:sqlserver:'`)
  const body = rest.slice(2)
  const semi = body.indexOf(';')
  const server = semi < 0 ? body : body.slice(0, semi)
  const params = sqlServerProps(semi < 0 ? '' : body.slice(semi + 1))
  let hostPart = server
  let portValue: number | null = null
  const portMatch = /:(\d+)$/.exec(server)
  if (portMatch && !/^\[[^\]]*$/.test(server.slice(0, portMatch.index))) {
    portValue = port(portMatch[1])
    hostPart = server.slice(0, portMatch.index)
  }
  const backslash = hostPart.indexOf('\\')
  if (backslash >= 0) {
    params.instanceName ??= hostPart.slice(backslash + 1)
    hostPart = hostPart.slice(0, backslash)
  }
  const host = unbracket(hostPart) || params.serverName || 'localhost'
  const portParam = params.portNumber ?? params.port
  if (portValue === null && portParam) portValue = port(portParam)
  const database = params.databaseName ?? params.database ?? null
  return result('sqlserver', [{ host, port: portValue }], database, params)
}

/** SQL Server property list: keys are case-insensitive, so they are normalised to the documented spelling. */
function sqlServerProps(list: string): Record<string, string> {
  const known = ['databaseName', 'database', 'serverName', 'portNumber', 'port', 'instanceName', 'user', 'password']
  const params: Record<string, string> = {}
  let i = 0
  while (i < list.length) {
    const eq = list.indexOf('=', i)
    if (eq < 0) break
    const rawKey = list.slice(i, eq).trim()
    let value: string
    let next: number
    if (list[eq + 1] === '{') {
      const close = list.indexOf('}', eq + 2)
      if (close < 0) throw new Error(`the value of '${rawKey}' opens '{' without closing it`)
      value = list.slice(eq + 2, close)
      next = list.indexOf(';', close)
    } else {
      next = list.indexOf(';', eq)
      value = list.slice(eq + 1, next < 0 ? undefined : next)
    }
    const key = known.find(k => k.toLowerCase() === rawKey.toLowerCase()) ?? rawKey
    if (rawKey) params[key] = value
    if (next < 0) break
    i = next + 1
  }
  return params
}

// jTDS: jdbc:jtds:sqlserver://host[:port][/database][;prop=value…]
function parseJtds(rest: string): ParsedJdbcUrl {
  const m = /^sqlserver:\/\/([^/;]*)(?:\/([^;]*))?(?:;(.*))?$/i.exec(rest)
  if (!m) throw new Error(`expected 'jdbc:jtds:sqlserver://host:port/database'`)
  const params = sqlServerProps(m[3] ?? '')
  params.driverType = 'jtds'
  const hp = hostPort(m[1])
  return result('sqlserver', [hp], m[2] || params.databaseName || null, params)
}

// jdbc:db2://host:port/db[:prop=value;prop=value;] | jdbc:db2:db (local, type 2)
function parseDb2(rest: string): ParsedJdbcUrl {
  if (!rest.startsWith('//')) {
    const colon = rest.indexOf(':')
    const db = colon < 0 ? rest : rest.slice(0, colon)
    return result('db2', [], db, colon < 0 ? {} : queryParams(rest.slice(colon + 1), ';'))
  }
  const body = rest.slice(2)
  const slash = body.indexOf('/')
  if (slash < 0) throw new Error(`expected 'jdbc:db2://host:port/database'`)
  const afterSlash = body.slice(slash + 1)
  const colon = afterSlash.indexOf(':')
  const db = colon < 0 ? afterSlash : afterSlash.slice(0, colon)
  const params = colon < 0 ? {} : queryParams(afterSlash.slice(colon + 1), ';')
  return result('db2', [hostPort(body.slice(0, slash))], db, params)
}

// jdbc:h2:file:/x/y;OPT=1 | jdbc:h2:~/x | jdbc:h2:./x | jdbc:h2:mem:x | jdbc:h2:tcp://host:port/path | jdbc:h2:ssl://…
function parseH2(rest: string): ParsedJdbcUrl {
  const semi = rest.indexOf(';')
  const location = semi < 0 ? rest : rest.slice(0, semi)
  const params = semi < 0 ? {} : queryParams(rest.slice(semi + 1), ';')
  const server = /^(tcp|ssl):\/\/([^/]*)\/(.*)$/i.exec(location)
  if (server) {
    params.protocol = server[1].toLowerCase()
    return result('h2', [hostPort(server[2])], server[3], params)
  }
  const kind = /^(file|mem|zip|split|nio|nioMapped|async|memFS|memLZF|nioMemFS|nioMemLZF):/i.exec(location)
  if (kind) params.protocol = kind[1].toLowerCase()
  const path = kind ? location.slice(kind[0].length) : location
  return { ...result('h2', [], path, params), embedded: true }
}

// jdbc:derby:path;create=true | jdbc:derby:directory:path | jdbc:derby://host:port/db;… (network server)
function parseDerby(rest: string): ParsedJdbcUrl {
  const semi = rest.indexOf(';')
  const location = semi < 0 ? rest : rest.slice(0, semi)
  const params = semi < 0 ? {} : queryParams(rest.slice(semi + 1), ';')
  if (location.startsWith('//')) {
    const body = location.slice(2)
    const slash = body.indexOf('/')
    if (slash < 0) throw new Error(`expected 'jdbc:derby://host:port/database'`)
    return result('derby', [hostPort(body.slice(0, slash))], body.slice(slash + 1), params)
  }
  const kind = /^(directory|memory|classpath|jar):/i.exec(location)
  if (kind) params.protocol = kind[1].toLowerCase()
  const path = kind ? location.slice(kind[0].length) : location
  return { ...result('derby', [], path, params), embedded: true }
}

/** Parameter names that carry a password in one driver or another. */
const PASSWORD_PARAMS = /^(password|pwd|passwd)$/i

/** The password a URL carries, if any (params of every shape end up in `params`). */
export function passwordInParams(params: Record<string, string>): string | null {
  const key = Object.keys(params).find(k => PASSWORD_PARAMS.test(k))
  return key === undefined ? null : params[key]
}

/** `params` without any secret entry (the login password, sslpassword, trustStorePassword, tokens, …). */
export function withoutPassword(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !isSecretKey(k)))
}
