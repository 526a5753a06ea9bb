import { parseJdbcUrl, redactJdbcUrl } from '../../src/database/index.js'

type Expect = {
  engine: string
  host: string | null
  port: number | null
  database: string | null
  params?: Record<string, string>
  embedded?: boolean
  hosts?: { host: string; port: number | null }[]
}

/** What `parseJdbcUrl` should find in a URL: engine, first host and port, database, and any `more` to check. */
function at(
  engine: string,
  host: string | null,
  port: number | null,
  database: string | null,
  more: Pick<Expect, 'params' | 'embedded' | 'hosts'> = {}
): Expect {
  return { engine, host, port, database, ...more }
}

const cases: [string, Expect][] = [
  [
    'jdbc:postgresql://db.example.com:5433/xlrelease?sslmode=require&ApplicationName=xlr',
    at('postgresql', 'db.example.com', 5433, 'xlrelease', { params: { sslmode: 'require', ApplicationName: 'xlr' } })
  ],
  ['jdbc:postgresql://db.example.com/xlrelease', at('postgresql', 'db.example.com', null, 'xlrelease')],
  ['jdbc:postgresql://[::1]:5740/accounting', at('postgresql', '::1', 5740, 'accounting')],
  ['jdbc:postgresql://[2001:db8::7]/xlr', at('postgresql', '2001:db8::7', null, 'xlr')],
  [
    'jdbc:postgresql://pg1:5432,pg2:5433,[::1]/xlr?targetServerType=primary',
    at('postgresql', 'pg1', 5432, 'xlr', {
      hosts: [
        { host: 'pg1', port: 5432 },
        { host: 'pg2', port: 5433 },
        { host: '::1', port: null }
      ],
      params: { targetServerType: 'primary' }
    })
  ],
  ['jdbc:postgresql:xlrelease', at('postgresql', 'localhost', null, 'xlrelease')],
  ['jdbc:postgresql://host/my%20db', at('postgresql', 'host', null, 'my db')],
  ['JDBC:PostgreSQL://Host:1/x', at('postgresql', 'Host', 1, 'x')],
  [
    'jdbc:mysql://mysql.local:3307/xlr?useSSL=true&characterEncoding=UTF-8',
    at('mysql', 'mysql.local', 3307, 'xlr', { params: { useSSL: 'true', characterEncoding: 'UTF-8' } })
  ],
  ['jdbc:mysql://mysql.local/xlr', at('mysql', 'mysql.local', null, 'xlr')],
  ['jdbc:mysql://u:p%40ss@h:3306/db', at('mysql', 'h', 3306, 'db', { params: { user: 'u', password: 'p@ss' } })],
  ['jdbc:mysql:loadbalance://h1:3306,h2:3307/db', at('mysql', 'h1', 3306, 'db', { params: { haMode: 'loadbalance' } })],
  ['jdbc:mysql://address=(host=myhost)(port=1111)(key1=value1)/db', at('mysql', 'myhost', 1111, 'db')],
  ['jdbc:mysql://[::1]:3306/xlr', at('mysql', '::1', 3306, 'xlr')],
  [
    'jdbc:mariadb://maria:3306/xlrelease?sslMode=verify-full',
    at('mariadb', 'maria', 3306, 'xlrelease', { params: { sslMode: 'verify-full' } })
  ],
  ['jdbc:mariadb:failover://m1,m2/xlr', at('mariadb', 'm1', null, 'xlr', { params: { haMode: 'failover' } })],
  [
    'jdbc:oracle:thin:@ora.example.com:1521:ORCL',
    at('oracle', 'ora.example.com', 1521, 'ORCL', { params: { driverType: 'thin', sid: 'ORCL' } })
  ],
  [
    'jdbc:oracle:thin:@//ora.example.com:1522/xlr.example.com',
    at('oracle', 'ora.example.com', 1522, 'xlr.example.com', {
      params: { driverType: 'thin', serviceName: 'xlr.example.com' }
    })
  ],
  [
    'jdbc:oracle:thin:@ora:1521/XEPDB1',
    at('oracle', 'ora', 1521, 'XEPDB1', { params: { driverType: 'thin', serviceName: 'XEPDB1' } })
  ],
  ['jdbc:oracle:thin:@//ora/XEPDB1', at('oracle', 'ora', null, 'XEPDB1')],
  [
    'jdbc:oracle:thin:xlr/secret@//ora:1521/XE',
    at('oracle', 'ora', 1521, 'XE', {
      params: { driverType: 'thin', user: 'xlr', password: 'secret', serviceName: 'XE' }
    })
  ],
  [
    'jdbc:oracle:thin:@tcps://ora:2484/svc',
    at('oracle', 'ora', 2484, 'svc', { params: { driverType: 'thin', protocol: 'tcps', serviceName: 'svc' } })
  ],
  [
    'jdbc:oracle:thin:@XLR_TNS',
    at('oracle', null, null, 'XLR_TNS', { params: { driverType: 'thin', tnsAlias: 'XLR_TNS' } })
  ],
  [
    'jdbc:sqlserver://sql.example.com:1433;databaseName=xlrelease;encrypt=true;trustServerCertificate=false',
    at('sqlserver', 'sql.example.com', 1433, 'xlrelease', {
      params: { databaseName: 'xlrelease', encrypt: 'true', trustServerCertificate: 'false' }
    })
  ],
  [
    'jdbc:sqlserver://sql\\SQLEXPRESS:1434;DatabaseName=xlr',
    at('sqlserver', 'sql', 1434, 'xlr', { params: { instanceName: 'SQLEXPRESS', databaseName: 'xlr' } })
  ],
  [
    'jdbc:sqlserver://sql\\INST;database=xlr;integratedSecurity=true',
    at('sqlserver', 'sql', null, 'xlr', {
      params: { instanceName: 'INST', database: 'xlr', integratedSecurity: 'true' }
    })
  ],
  ['jdbc:sqlserver://;serverName=sql2;portNumber=1500;databaseName=xlr', at('sqlserver', 'sql2', 1500, 'xlr')],
  [
    'jdbc:sqlserver://[::1]:1433;databaseName=x;password={a;b}',
    at('sqlserver', '::1', 1433, 'x', { params: { databaseName: 'x', password: 'a;b' } })
  ],
  ['jdbc:jtds:sqlserver://sql:1433/xlr;instance=A', at('sqlserver', 'sql', 1433, 'xlr')],
  ['jdbc:db2://db2.example.com:50000/XLR', at('db2', 'db2.example.com', 50000, 'XLR')],
  [
    'jdbc:db2://db2:50001/XLR:sslConnection=true;currentSchema=XLR;',
    at('db2', 'db2', 50001, 'XLR', { params: { sslConnection: 'true', currentSchema: 'XLR' } })
  ],
  [
    'jdbc:h2:file:/opt/xl-release/repository/xl-release',
    at('h2', null, null, '/opt/xl-release/repository/xl-release', { params: { protocol: 'file' }, embedded: true })
  ],
  [
    'jdbc:h2:file:./repository/xl-release-report;DB_CLOSE_ON_EXIT=FALSE;MODE=LEGACY',
    at('h2', null, null, './repository/xl-release-report', {
      params: { protocol: 'file', DB_CLOSE_ON_EXIT: 'FALSE', MODE: 'LEGACY' },
      embedded: true
    })
  ],
  ['jdbc:h2:~/xlr', at('h2', null, null, '~/xlr', { embedded: true })],
  ['jdbc:h2:tcp://h2host:9092/~/xlr', at('h2', 'h2host', 9092, '~/xlr', { embedded: false })],
  [
    'jdbc:derby:archive/db;create=true',
    at('derby', null, null, 'archive/db', { params: { create: 'true' }, embedded: true })
  ],
  [
    'jdbc:derby:directory:/opt/xlr/repository/db',
    at('derby', null, null, '/opt/xlr/repository/db', { embedded: true })
  ],
  ['jdbc:derby://derbyhost:1527/xlr;create=true', at('derby', 'derbyhost', 1527, 'xlr', { embedded: false })]
]

describe('parseJdbcUrl', () => {
  test.each(cases)('%s', (url, expected) => {
    const parsed = parseJdbcUrl(url)
    expect(parsed.problem).toBeUndefined()
    expect(parsed.engine).toBe(expected.engine)
    expect(parsed.host).toBe(expected.host)
    expect(parsed.port).toBe(expected.port)
    expect(parsed.database).toBe(expected.database)
    expect(parsed.embedded).toBe(expected.embedded ?? false)
    if (expected.params) expect(parsed.params).toMatchObject(expected.params)
    if (expected.hosts) expect(parsed.hosts).toEqual(expected.hosts)
  })

  test('keeps an Oracle TNS descriptor whole and picks out its first address', () => {
    const d =
      '(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=TCP)(HOST=ora1)(PORT=1521))(ADDRESS=(PROTOCOL=TCP)(HOST=ora2)(PORT=1521)))(CONNECT_DATA=(SERVICE_NAME=xlr.svc)))'
    const parsed = parseJdbcUrl(`jdbc:oracle:thin:@${d}`)
    expect(parsed).toMatchObject({ engine: 'oracle', host: 'ora1', port: 1521, database: 'xlr.svc' })
    expect(parsed.params.descriptor).toBe(d)
  })

  test.each([
    ['jdbc:sybase:Tds:host:5000/db', /driver 'sybase'/],
    ['postgresql://host/db', /does not start with 'jdbc:/],
    ['jdbc:postgresql://host:99999/db', /port '99999'/],
    ['jdbc:postgresql://[::1/db', /closing '\]'/],
    ['jdbc:oracle:thin:ora:1521:ORCL', /needs '@'/],
    ['jdbc:mysql:host/db', /expected '\/\/host'/],
    ['', /does not start/]
  ])('%s is unknown, with the reason', (url, problem) => {
    const parsed = parseJdbcUrl(url)
    expect(parsed.engine).toBe('unknown')
    expect(parsed.problem).toMatch(problem)
  })
})

describe('redactJdbcUrl', () => {
  test.each([
    ['jdbc:postgresql://h/db?user=x&password=s3cret&ssl=true', 'jdbc:postgresql://h/db?user=x&password=***&ssl=true'],
    [
      'jdbc:sqlserver://h;databaseName=x;password={a;b};encrypt=true',
      'jdbc:sqlserver://h;databaseName=x;password=***;encrypt=true'
    ],
    ['jdbc:mysql://u:s3cret@h:3306/db', 'jdbc:mysql://u:***@h:3306/db'],
    ['jdbc:oracle:thin:xlr/s3cret@//ora:1521/XE', 'jdbc:oracle:thin:xlr/***@//ora:1521/XE'],
    ['jdbc:postgresql://h/db', 'jdbc:postgresql://h/db']
  ])('%s', (url, shown) => {
    expect(redactJdbcUrl(url)).toBe(shown)
  })
})
