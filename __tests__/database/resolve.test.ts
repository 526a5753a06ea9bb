import { InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { resolveDatabases } from '../../src/database/index.js'
import type { HomeInfo } from '../../src/home/types.js'
import { homeWith, settings } from '../support/database-fixtures.js'

const pgRepo = { url: 'jdbc:postgresql://db:5432/xlrelease?sslmode=require', username: 'xlr', password: 'plain' }
const pgArchive = { url: 'jdbc:postgresql://db:5432/xlarchive', username: 'xlr', password: 'plain2' }

/** What resolveDatabases throws for `home` with no inputs set (undefined if it does not throw). */
function resolveError(home: HomeInfo): unknown {
  try {
    resolveDatabases(home, settings(), new MemoryLogger())
  } catch (e) {
    return e
  }
  return undefined
}

describe('resolveDatabases', () => {
  test('reads both roles from the config, with default port and params', () => {
    const logger = new MemoryLogger()
    const targets = resolveDatabases(homeWith({ repository: pgRepo, archive: pgArchive }), settings(), logger)
    expect(targets).toHaveLength(2)
    expect(targets[0]).toMatchObject({
      roles: ['repository'],
      engine: 'postgresql',
      host: 'db',
      port: 5432,
      database: 'xlrelease',
      username: 'xlr',
      password: 'plain',
      params: { sslmode: 'require' },
      embedded: false,
      source: 'config',
      configSource: 'conf/xl-release.conf: xl.database'
    })
    expect(targets[1]).toMatchObject({ roles: ['archive'], database: 'xlarchive', password: 'plain2' })
    expect(logger.secrets).toEqual(expect.arrayContaining(['plain', 'plain2']))
  })

  test('fills the default port when the URL has none', () => {
    const [t] = resolveDatabases(
      homeWith({ repository: { url: 'jdbc:mysql://m/xlr', username: 'u', password: null } }),
      settings(),
      new MemoryLogger()
    )
    expect(t).toMatchObject({ engine: 'mysql', port: 3306, password: null })
  })

  test('two roles on the same database become one target with both roles', () => {
    const logger = new MemoryLogger()
    const same = { ...pgRepo, url: 'jdbc:postgresql://DB:5432/xlrelease' }
    const targets = resolveDatabases(homeWith({ repository: pgRepo, archive: same }), settings(), logger)
    expect(targets).toHaveLength(1)
    expect(targets[0].roles).toEqual(['repository', 'archive'])
    expect(logger.messages('info').join('\n')).toMatch(/dumped once/)
  })

  test('the same host and database on different ports are two targets', () => {
    const other = { ...pgRepo, url: 'jdbc:postgresql://db:5433/xlrelease' }
    expect(
      resolveDatabases(homeWith({ repository: pgRepo, archive: other }), settings(), new MemoryLogger())
    ).toHaveLength(2)
  })

  test('inputs override the config, per role', () => {
    const logger = new MemoryLogger()
    const s = settings({
      repository: { url: 'jdbc:mariadb://maria:3307/xlr', username: 'admin', password: 'from-secret' },
      archive: { password: 'archive-secret' }
    })
    const targets = resolveDatabases(homeWith({ repository: pgRepo, archive: pgArchive }), s, logger)
    expect(targets[0]).toMatchObject({
      engine: 'mariadb',
      host: 'maria',
      port: 3307,
      username: 'admin',
      password: 'from-secret',
      source: 'input'
    })
    expect(targets[1]).toMatchObject({
      engine: 'postgresql',
      database: 'xlarchive',
      password: 'archive-secret',
      source: 'input'
    })
    expect(logger.secrets).toEqual(expect.arrayContaining(['from-secret', 'archive-secret', 'plain', 'plain2']))
  })

  test('an encrypted config password without an input is an InputError naming the input', () => {
    const home = homeWith({ repository: { ...pgRepo, password: '{b64}Q2Vjm7OhQ3l6P1Qv' } })
    const error = resolveError(home)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('database-password')
    expect((error as Error).message).toBe(
      "conf/xl-release.conf has an encrypted password for xl.database (the server encrypts it at first start); set the 'database-password' input (from a secret)."
    )
  })

  test('the archive role names its own input', () => {
    const home = homeWith({ archive: { ...pgArchive, password: '{b64}abc' } })
    expect(() => resolveDatabases(home, settings(), new MemoryLogger())).toThrow(
      /set the 'archive-database-password' input/
    )
  })

  test('an encrypted password replaced by the input is fine', () => {
    const home = homeWith({ repository: { ...pgRepo, password: '{b64}abc' } })
    const [t] = resolveDatabases(home, settings({ repository: { password: 'real' } }), new MemoryLogger())
    expect(t.password).toBe('real')
  })

  test('a password in the URL is used, masked and removed from url and params', () => {
    const logger = new MemoryLogger()
    const home = homeWith({
      repository: { url: 'jdbc:postgresql://h/db?user=u&password=urlpw', username: null, password: null }
    })
    const [t] = resolveDatabases(home, settings(), logger)
    expect(t).toMatchObject({ username: 'u', password: 'urlpw', url: 'jdbc:postgresql://h/db?user=u&password=***' })
    expect(t.params.password).toBeUndefined()
    expect(logger.secrets).toContain('urlpw')
  })

  test('no URL anywhere means the embedded default, covered by the home archive', () => {
    const targets = resolveDatabases(homeWith({}), settings(), new MemoryLogger())
    expect(targets.map(t => [t.roles[0], t.engine, t.embedded])).toEqual([
      ['repository', 'h2', true],
      ['archive', 'derby', true]
    ])
  })

  test('a URL key the config sets from a variable this job lacks is an InputError, unless the input gives the URL', () => {
    const home = homeWith({ repository: pgRepo })
    home.unresolvedDatabaseUrls = {
      archive: {
        key: 'xl.reporting.db-url',
        file: '/opt/xlr/conf/xl-release.conf',
        line: 9,
        text: 'db-url = ${?XL_REPORT_DB_URL}'
      }
    }
    const error = resolveError(home)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('archive-database-url')
    expect((error as Error).message).toMatch(
      /^\/opt\/xlr\/conf\/xl-release.conf:9 sets xl.reporting.db-url from a substitution that is not set for this job \(db-url = \$\{\?XL_REPORT_DB_URL\}\)/
    )
    const given = settings({ archive: { url: pgArchive.url, username: 'xlr', password: 'p' } })
    expect(resolveDatabases(home, given, new MemoryLogger())[1]).toMatchObject({
      database: 'xlarchive',
      source: 'input'
    })
  })

  test('embedded H2 and Derby URLs are embedded targets', () => {
    const home = homeWith({
      repository: { url: 'jdbc:h2:file:/opt/xlr/repository/xl-release', username: 'sa', password: null },
      archive: { url: 'jdbc:derby:archive/db;create=true', username: null, password: null }
    })
    const targets = resolveDatabases(home, settings(), new MemoryLogger())
    expect(targets.map(t => [t.engine, t.embedded])).toEqual([
      ['h2', true],
      ['derby', true]
    ])
  })

  test('a JCR-era home with a database-backed repository', () => {
    const home = homeWith(
      {
        repository: {
          url: 'jdbc:mysql://jcr-db:3306/jackrabbit',
          username: 'jr',
          password: 'pw',
          source: 'conf/jackrabbit-repository.xml: PersistenceManager'
        }
      },
      'jcr'
    )
    const targets = resolveDatabases(home, settings(), new MemoryLogger())
    expect(targets[0]).toMatchObject({
      engine: 'mysql',
      database: 'jackrabbit',
      configSource: 'conf/jackrabbit-repository.xml: PersistenceManager'
    })
    expect(targets[1]).toMatchObject({ engine: 'derby', embedded: true })
  })

  test("'none' skips databases", () => {
    expect(resolveDatabases(homeWith({ repository: pgRepo }), settings({ mode: 'none' }), new MemoryLogger())).toEqual(
      []
    )
  })

  test('a forced engine overrides the URL (with a warning when it disagrees)', () => {
    const logger = new MemoryLogger()
    const home = homeWith({ repository: { url: 'jdbc:mysql://m/xlr', username: 'u', password: 'p' } })
    const [t] = resolveDatabases(home, settings({ mode: 'mariadb' }), logger)
    expect(t.engine).toBe('mariadb')
    expect(logger.messages('warning').join()).toMatch(/looks like mysql; using mariadb/)
  })

  test('an unknown driver is an InputError that says how to proceed', () => {
    const home = homeWith({ repository: { url: 'jdbc:sybase:Tds:h:5000/db', username: 'u', password: 'p' } })
    expect(() => resolveDatabases(home, settings(), new MemoryLogger())).toThrow(
      /Cannot tell the engine .*'database' input .*database-backup-command/
    )
  })

  test('a password input without any URL names the URL input', () => {
    expect(() => resolveDatabases(homeWith({}), settings({ archive: { password: 'x' } }), new MemoryLogger())).toThrow(
      /'archive-database-password' is set but no URL is known .*set 'archive-database-url'/
    )
  })

  test('a built-in engine without a user names the username input', () => {
    const home = homeWith({ repository: { url: 'jdbc:mysql://m/xlr', username: null, password: null } })
    expect(() => resolveDatabases(home, settings(), new MemoryLogger())).toThrow(/set the 'database-username' input/)
  })

  test('Oracle, SQL Server and DB2 resolve without a built-in tool', () => {
    const home = homeWith({
      repository: { url: 'jdbc:oracle:thin:@//ora:1521/XEPDB1', username: 'xlr', password: 'p' },
      archive: { url: 'jdbc:sqlserver://sql\\INST;databaseName=xlarchive', username: 'sa', password: 'p2' }
    })
    const targets = resolveDatabases(home, settings(), new MemoryLogger())
    expect(targets.map(t => [t.engine, t.host, t.port, t.database])).toEqual([
      ['oracle', 'ora', 1521, 'XEPDB1'],
      ['sqlserver', 'sql', 1433, 'xlarchive']
    ])
  })
})
