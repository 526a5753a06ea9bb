/**
 * Every JDBC form that can carry a password, through every path a URL takes: the redacted URL (manifest, log,
 * XLR_DB_URL), the secrets registered for masking, the resolved target (host, database, params that reach the
 * manifest and XLR_DB_PARAMS), and the command-line redaction of other processes (a JVM's -D…url=…).
 */
import { baseRecord } from '../../src/database/dump.js'
import { parseJdbcUrl, passwordsInJdbcUrl, redactJdbcUrl } from '../../src/database/jdbc-url.js'
import { resolveDatabases } from '../../src/database/resolve.js'
import { redactCommandLine } from '../../src/guard/redact.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { homeWith, settings } from '../support/database-fixtures.js'

const S = 'S3cr#t-pw'
const CASES: [string, string, string][] = [
  // [name, url, what the redacted URL must still show]
  ['PostgreSQL ?password=', `jdbc:postgresql://db:5432/xlr?user=x&password=${S}&ssl=true`, 'db:5432/xlr'],
  ['pgjdbc sslpassword', `jdbc:postgresql://db/xlr?sslmode=verify-full&sslpassword=${S}`, 'sslmode=verify-full'],
  ['PASSWORD in capitals', `jdbc:postgresql://db/xlr?PASSWORD=${S}`, 'db/xlr'],
  ['password first, then more', `jdbc:postgresql://db/xlr?password=${S}&currentSchema=xlr`, 'currentSchema=xlr'],
  ['MySQL user:password@', `jdbc:mysql://xlr:${S}@db:3306/xlr`, 'db:3306/xlr'],
  ['MariaDB user:password@ with an @ in it', `jdbc:mariadb://xlr:a@b${S}@db:3306/xlr`, 'db:3306/xlr'],
  ['Connector/J trustStorePassword', `jdbc:mysql://db/xlr?sslMode=VERIFY_CA&trustStorePassword=${S}`, 'sslMode'],
  [
    'Connector/J clientCertificateKeyStorePassword',
    `jdbc:mysql://db/xlr?clientCertificateKeyStoreUrl=file:/k.p12&clientCertificateKeyStorePassword=${S}`,
    'clientCertificateKeyStoreUrl'
  ],
  ['Connector/J key-value host', `jdbc:mysql://(host=db,port=3306,user=xlr,password=${S})/xlr`, 'host=db'],
  [
    'Connector/J address= host',
    `jdbc:mysql://address=(host=db)(port=3306)(user=xlr)(password=${S})/xlr`,
    '(host=db)(port=3306)'
  ],
  [
    'Connector/J two key-value hosts',
    `jdbc:mysql:loadbalance://(host=a,port=3306,password=${S}),(host=b,port=3307,password=${S}x)/xlr`,
    'host=b'
  ],
  ['MariaDB query password', `jdbc:mariadb://db:3306/xlr?user=xlr&password=${S}`, 'db:3306/xlr'],
  ['Oracle user/password@', `jdbc:oracle:thin:xlr/${S}@//ora:1521/XEPDB1`, '//ora:1521/XEPDB1'],
  ['Oracle user/password@host:port:SID', `jdbc:oracle:thin:xlr/${S}@ora:1521:ORCL`, 'ora:1521:ORCL'],
  ['Oracle quoted password with @', `jdbc:oracle:thin:xlr/"p@${S}"@ora:1521:ORCL`, 'ora:1521:ORCL'],
  ['SQL Server ;password=;', `jdbc:sqlserver://sql:1433;databaseName=xlr;password=${S};encrypt=true`, 'encrypt=true'],
  ['SQL Server braced password', `jdbc:sqlserver://sql;databaseName=xlr;Password={a;${S}};user=sa`, 'user=sa'],
  ['SQL Server trustStorePassword', `jdbc:sqlserver://sql;databaseName=xlr;trustStorePassword=${S}`, 'sql'],
  ['jTDS', `jdbc:jtds:sqlserver://sql:1433/xlr;user=sa;password=${S}`, 'sql:1433/xlr'],
  ['DB2 property list', `jdbc:db2://db2:50000/XLR:user=xlr;password=${S};`, 'db2:50000/XLR'],
  ['H2 server PASSWORD', `jdbc:h2:tcp://h2:9092/xlr;USER=sa;PASSWORD=${S}`, 'h2:9092/xlr'],
  ['percent-encoded password', `jdbc:postgresql://db/xlr?password=${encodeURIComponent(S)}`, 'db/xlr']
]

describe.each(CASES)('%s', (_name, url, kept) => {
  test('the redacted URL shows no password but keeps the rest', () => {
    const redacted = redactJdbcUrl(url)
    expect(redacted).not.toContain(S)
    expect(redacted).not.toContain(encodeURIComponent(S))
    expect(redacted).toContain('***')
    expect(redacted).toContain(kept)
  })

  test('the password is among the secrets to mask', () => {
    expect(passwordsInJdbcUrl(url)).toEqual(expect.arrayContaining([expect.stringContaining(S)]))
  })

  test('the manifest record, XLR_DB_PARAMS and parse problems hold no password; the log masks it', () => {
    const logger = new MemoryLogger()
    const targets = resolveDatabases(
      homeWith({ repository: { url, username: 'xlr', password: 'configured' } }),
      settings({ mode: /jdbc:(postgresql|mysql|mariadb)/.test(url) ? 'auto' : 'oracle', backupCommand: 'true' }),
      logger
    )
    const everything = JSON.stringify({ record: baseRecord(targets[0]), params: targets[0].params })
    expect(everything).not.toContain(S)
    expect(JSON.stringify(parseJdbcUrl(url).problem ?? '')).not.toContain(S)
    expect(logger.secrets.some(s => s.includes(S) || s === decodeURIComponent(encodeURIComponent(S)))).toBe(true)
  })

  test('a command line carrying the URL is redacted too', () => {
    const line = `java -Dxl.database.db-url=${url} -jar xlr.jar`
    expect(redactCommandLine(line)).not.toContain(S)
  })
})

test('a Connector/J key-value host is read: host, port and the credentials it carries', () => {
  const parsed = parseJdbcUrl(`jdbc:mysql://(host=db,port=3307,user=xlr,password=${S})/xlr`)
  expect(parsed).toMatchObject({ engine: 'mysql', host: 'db', port: 3307, database: 'xlr' })
  expect(parsed.params).toMatchObject({ user: 'xlr', password: S })
  const address = parseJdbcUrl(`jdbc:mariadb://address=(host=db)(port=3308)(password=${S})/xlr`)
  expect(address).toMatchObject({ host: 'db', port: 3308, database: 'xlr' })
  expect(address.params.password).toBe(S)
})
