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

const cases: [string, Expect][] = [
  [
    'jdbc:postgresql://db.example.com:5433/xlrelease?sslmode=require&ApplicationName=xlr',
    {
      engine: 'postgresql',
      host: 'db.example.com',
      port: 5433,
      database: 'xlrelease',
      params: { sslmode: 'require', ApplicationName: 'xlr' }
    }
  ],
  [
    'jdbc:postgresql://db.example.com/xlrelease',
    { engine: 'postgresql', host: 'db.example.com', port: null, database: 'xlrelease' }
  ],
  [
    'jdbc:postgresql://[::1]:5740/accounting',
    { engine: 'postgresql', host: '::1', port: 5740, database: 'accounting' }
  ],
  ['jdbc:postgresql://[2001:db8::7]/xlr', { engine: 'postgresql', host: '2001:db8::7', port: null, database: 'xlr' }],
  [
    'jdbc:postgresql://pg1:5432,pg2:5433,[::1]/xlr?targetServerType=primary',
    {
      engine: 'postgresql',
      host: 'pg1',
      port: 5432,
      database: 'xlr',
      hosts: [
        { host: 'pg1', port: 5432 },
        { host: 'pg2', port: 5433 },
        { host: '::1', port: null }
      ],
      params: { targetServerType: 'primary' }
    }
  ],
  ['jdbc:postgresql:xlrelease', { engine: 'postgresql', host: 'localhost', port: null, database: 'xlrelease' }],
  ['jdbc:postgresql://host/my%20db', { engine: 'postgresql', host: 'host', port: null, database: 'my db' }],
  ['JDBC:PostgreSQL://Host:1/x', { engine: 'postgresql', host: 'Host', port: 1, database: 'x' }],
  [
    'jdbc:mysql://mysql.local:3307/xlr?useSSL=true&characterEncoding=UTF-8',
    {
      engine: 'mysql',
      host: 'mysql.local',
      port: 3307,
      database: 'xlr',
      params: { useSSL: 'true', characterEncoding: 'UTF-8' }
    }
  ],
  ['jdbc:mysql://mysql.local/xlr', { engine: 'mysql', host: 'mysql.local', port: null, database: 'xlr' }],
  [
    'jdbc:mysql://u:p%40ss@h:3306/db',
    { engine: 'mysql', host: 'h', port: 3306, database: 'db', params: { user: 'u', password: 'p@ss' } }
  ],
  [
    'jdbc:mysql:loadbalance://h1:3306,h2:3307/db',
    { engine: 'mysql', host: 'h1', port: 3306, database: 'db', params: { haMode: 'loadbalance' } }
  ],
  [
    'jdbc:mysql://address=(host=myhost)(port=1111)(key1=value1)/db',
    { engine: 'mysql', host: 'myhost', port: 1111, database: 'db' }
  ],
  ['jdbc:mysql://[::1]:3306/xlr', { engine: 'mysql', host: '::1', port: 3306, database: 'xlr' }],
  [
    'jdbc:mariadb://maria:3306/xlrelease?sslMode=verify-full',
    { engine: 'mariadb', host: 'maria', port: 3306, database: 'xlrelease', params: { sslMode: 'verify-full' } }
  ],
  [
    'jdbc:mariadb:failover://m1,m2/xlr',
    { engine: 'mariadb', host: 'm1', port: null, database: 'xlr', params: { haMode: 'failover' } }
  ],
  [
    'jdbc:oracle:thin:@ora.example.com:1521:ORCL',
    {
      engine: 'oracle',
      host: 'ora.example.com',
      port: 1521,
      database: 'ORCL',
      params: { driverType: 'thin', sid: 'ORCL' }
    }
  ],
  [
    'jdbc:oracle:thin:@//ora.example.com:1522/xlr.example.com',
    {
      engine: 'oracle',
      host: 'ora.example.com',
      port: 1522,
      database: 'xlr.example.com',
      params: { driverType: 'thin', serviceName: 'xlr.example.com' }
    }
  ],
  [
    'jdbc:oracle:thin:@ora:1521/XEPDB1',
    {
      engine: 'oracle',
      host: 'ora',
      port: 1521,
      database: 'XEPDB1',
      params: { driverType: 'thin', serviceName: 'XEPDB1' }
    }
  ],
  ['jdbc:oracle:thin:@//ora/XEPDB1', { engine: 'oracle', host: 'ora', port: null, database: 'XEPDB1' }],
  [
    'jdbc:oracle:thin:xlr/secret@//ora:1521/XE',
    {
      engine: 'oracle',
      host: 'ora',
      port: 1521,
      database: 'XE',
      params: { driverType: 'thin', user: 'xlr', password: 'secret', serviceName: 'XE' }
    }
  ],
  [
    'jdbc:oracle:thin:@tcps://ora:2484/svc',
    {
      engine: 'oracle',
      host: 'ora',
      port: 2484,
      database: 'svc',
      params: { driverType: 'thin', protocol: 'tcps', serviceName: 'svc' }
    }
  ],
  [
    'jdbc:oracle:thin:@XLR_TNS',
    {
      engine: 'oracle',
      host: null,
      port: null,
      database: 'XLR_TNS',
      params: { driverType: 'thin', tnsAlias: 'XLR_TNS' }
    }
  ],
  [
    'jdbc:sqlserver://sql.example.com:1433;databaseName=xlrelease;encrypt=true;trustServerCertificate=false',
    {
      engine: 'sqlserver',
      host: 'sql.example.com',
      port: 1433,
      database: 'xlrelease',
      params: { databaseName: 'xlrelease', encrypt: 'true', trustServerCertificate: 'false' }
    }
  ],
  [
    'jdbc:sqlserver://sql\\SQLEXPRESS:1434;DatabaseName=xlr',
    {
      engine: 'sqlserver',
      host: 'sql',
      port: 1434,
      database: 'xlr',
      params: { instanceName: 'SQLEXPRESS', databaseName: 'xlr' }
    }
  ],
  [
    'jdbc:sqlserver://sql\\INST;database=xlr;integratedSecurity=true',
    {
      engine: 'sqlserver',
      host: 'sql',
      port: null,
      database: 'xlr',
      params: { instanceName: 'INST', database: 'xlr', integratedSecurity: 'true' }
    }
  ],
  [
    'jdbc:sqlserver://;serverName=sql2;portNumber=1500;databaseName=xlr',
    { engine: 'sqlserver', host: 'sql2', port: 1500, database: 'xlr' }
  ],
  [
    'jdbc:sqlserver://[::1]:1433;databaseName=x;password={a;b}',
    { engine: 'sqlserver', host: '::1', port: 1433, database: 'x', params: { databaseName: 'x', password: 'a;b' } }
  ],
  ['jdbc:jtds:sqlserver://sql:1433/xlr;instance=A', { engine: 'sqlserver', host: 'sql', port: 1433, database: 'xlr' }],
  ['jdbc:db2://db2.example.com:50000/XLR', { engine: 'db2', host: 'db2.example.com', port: 50000, database: 'XLR' }],
  [
    'jdbc:db2://db2:50001/XLR:sslConnection=true;currentSchema=XLR;',
    {
      engine: 'db2',
      host: 'db2',
      port: 50001,
      database: 'XLR',
      params: { sslConnection: 'true', currentSchema: 'XLR' }
    }
  ],
  [
    'jdbc:h2:file:/opt/xl-release/repository/xl-release',
    {
      engine: 'h2',
      host: null,
      port: null,
      database: '/opt/xl-release/repository/xl-release',
      params: { protocol: 'file' },
      embedded: true
    }
  ],
  [
    'jdbc:h2:file:./repository/xl-release-report;DB_CLOSE_ON_EXIT=FALSE;MODE=LEGACY',
    {
      engine: 'h2',
      host: null,
      port: null,
      database: './repository/xl-release-report',
      params: { protocol: 'file', DB_CLOSE_ON_EXIT: 'FALSE', MODE: 'LEGACY' },
      embedded: true
    }
  ],
  ['jdbc:h2:~/xlr', { engine: 'h2', host: null, port: null, database: '~/xlr', embedded: true }],
  ['jdbc:h2:tcp://h2host:9092/~/xlr', { engine: 'h2', host: 'h2host', port: 9092, database: '~/xlr', embedded: false }],
  [
    'jdbc:derby:archive/db;create=true',
    { engine: 'derby', host: null, port: null, database: 'archive/db', params: { create: 'true' }, embedded: true }
  ],
  [
    'jdbc:derby:directory:/opt/xlr/repository/db',
    { engine: 'derby', host: null, port: null, database: '/opt/xlr/repository/db', embedded: true }
  ],
  [
    'jdbc:derby://derbyhost:1527/xlr;create=true',
    { engine: 'derby', host: 'derbyhost', port: 1527, database: 'xlr', embedded: false }
  ]
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
