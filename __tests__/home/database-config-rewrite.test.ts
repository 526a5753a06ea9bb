import { mkdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { XlrBackupError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { pointConfigAtDatabase, quoteHoconString } from '../../src/home/database-config-rewrite.js'
import { getString, parseHocon } from '../../src/home/hocon.js'
import { readHome } from '../../src/home/read-home.js'
import { HomeFixtures, SQL_ERA_CONF, SQL_ERA_HOME } from '../support/home-fixtures.js'

const fixtures = new HomeFixtures()
afterAll(() => fixtures.cleanup())

const FILE = '/drill/conf/xl-release.conf'
const reparse = (text: string, env: Record<string, string> = {}) => parseHocon(text, FILE, { env })
/** A SQL-era conf after pointing `role` at the drill database `url` (no login given), parsed again. */
const drillConfig = (original: string, role: 'repository' | 'archive', url: string) =>
  reparse(pointConfigAtDatabase(original, role, { url }, 'sql'))

const DRILL = {
  url: 'jdbc:postgresql://127.0.0.1:5432/drill_xlr?user=x&ssl=false',
  username: 'drill "user"',
  password: 'pa\\ss"word\nwith ${no} substitution # nor comment',
  driver: 'org.postgresql.Driver'
}

describe('pointConfigAtDatabase', () => {
  it('overrides the SQL-era repository block and keeps the rest of the file as it was', () => {
    const original =
      'xl {\n  database {\n    db-url = "jdbc:postgresql://prod:5432/xlr"\n    db-username = prod\n    max-pool-size = 7\n  }\n}\nkeep = ${xl.database.max-pool-size}'
    const rewritten = pointConfigAtDatabase(original, 'repository', DRILL, 'sql')
    expect(rewritten.startsWith(original + '\n')).toBe(true)
    const config = reparse(rewritten)
    expect(getString(config, 'xl.database.db-url')).toBe(DRILL.url)
    expect(getString(config, 'xl.database.db-username')).toBe(DRILL.username)
    expect(getString(config, 'xl.database.db-password')).toBe(DRILL.password)
    expect(getString(config, 'xl.database.db-driver-classname')).toBe(DRILL.driver)
    expect(getString(config, 'xl.database.max-pool-size')).toBe('7')
    expect(getString(config, 'keep')).toBe('7')
    expect(rewritten).toContain('never the\n# production one')
  })

  it.each([
    [
      'overrides the archive with xl.reporting and leaves the repository alone',
      'xl.database.db-url = "jdbc:postgresql://prod/xlr"\nxl.reporting.db-url = "jdbc:postgresql://prod/xlarchive"\n',
      'archive' as const,
      'jdbc:postgresql://drill/arch',
      { 'xl.reporting.db-url': 'jdbc:postgresql://drill/arch', 'xl.database.db-url': 'jdbc:postgresql://prod/xlr' }
    ],
    [
      'keeps the original username and password when the drill gives none',
      'xl.database { db-url = "jdbc:postgresql://prod/xlr", db-username = prod, db-password = "{b64}x==" }',
      'repository' as const,
      'jdbc:postgresql://drill/xlr',
      { 'xl.database.db-username': 'prod', 'xl.database.db-password': '{b64}x==' }
    ]
  ])('%s', (_name, original, role, url, expected) => {
    const config = drillConfig(original, role, url)
    for (const [key, value] of Object.entries(expected)) expect(getString(config, key)).toBe(value)
  })

  it('uses xl.repository.persistence in the JCR era', () => {
    const original =
      'xl.repository { configuration = postgresql-standalone\n persistence { jdbcUrl = "jdbc:postgresql://prod/xlr", username = prod } }'
    const rewritten = pointConfigAtDatabase(original, 'repository', DRILL, 'jcr')
    const config = reparse(rewritten)
    expect(getString(config, 'xl.repository.persistence.jdbcUrl')).toBe(DRILL.url)
    expect(getString(config, 'xl.repository.persistence.username')).toBe(DRILL.username)
    expect(getString(config, 'xl.repository.persistence.password')).toBe(DRILL.password)
    expect(getString(config, 'xl.repository.configuration')).toBe('postgresql-standalone')
    expect(rewritten).not.toContain('xl.database')
  })

  it('writes both key sets for the repository when the era is unknown', () => {
    const config = reparse(pointConfigAtDatabase('', 'repository', { url: 'jdbc:h2:file:/drill/db' }, 'unknown'))
    expect(getString(config, 'xl.database.db-url')).toBe('jdbc:h2:file:/drill/db')
    expect(getString(config, 'xl.repository.persistence.jdbcUrl')).toBe('jdbc:h2:file:/drill/db')
  })

  it('wins over a block set by a substitution and keeps the substitution’s other keys', () => {
    const original = 'prod { db-url = "jdbc:postgresql://prod/xlr", db-username = svc }\nxl.database = ${prod}'
    const config = drillConfig(original, 'repository', 'jdbc:postgresql://drill/xlr')
    expect(getString(config, 'xl.database.db-url')).toBe('jdbc:postgresql://drill/xlr')
    expect(getString(config, 'xl.database.db-username')).toBe('svc')
    expect(getString(config, 'prod.db-url')).toBe('jdbc:postgresql://prod/xlr')
  })

  it('replaces its own earlier block instead of stacking a second one', () => {
    const once = pointConfigAtDatabase('a = 1', 'repository', { url: 'jdbc:postgresql://drill1/x' }, 'sql')
    const both = pointConfigAtDatabase(once, 'archive', { url: 'jdbc:postgresql://drill1/arch' }, 'sql')
    const twice = pointConfigAtDatabase(both, 'repository', { url: 'jdbc:postgresql://drill2/x' }, 'sql')
    expect(twice.match(/repository database override >>>/g)).toHaveLength(1)
    expect(twice).not.toContain('drill1/x"')
    const config = reparse(twice)
    expect(getString(config, 'xl.database.db-url')).toBe('jdbc:postgresql://drill2/x')
    expect(getString(config, 'xl.reporting.db-url')).toBe('jdbc:postgresql://drill1/arch')
    expect(getString(config, 'a')).toBe('1')
  })

  it('appends after a last line without a newline or ending in a comment', () => {
    for (const original of ['a = 1', 'a = 1 // comment', 'xl { database { db-url = "p" } } # c']) {
      const config = drillConfig(original, 'repository', 'u')
      expect(getString(config, 'xl.database.db-url')).toBe('u')
    }
  })

  it('refuses an empty URL', () => {
    expect(() => pointConfigAtDatabase('', 'repository', { url: ' ' }, 'sql')).toThrow(XlrBackupError)
  })

  it('keeps includes and substitutions of a real home working: readHome sees the drill databases', async () => {
    const home = await fixtures.home(SQL_ERA_HOME)
    const conf = path.join(home, 'conf/xl-release.conf')
    let text = pointConfigAtDatabase(
      SQL_ERA_CONF,
      'repository',
      { url: 'jdbc:postgresql://127.0.0.1/drill_repo' },
      'sql'
    )
    text = pointConfigAtDatabase(
      text,
      'archive',
      { url: 'jdbc:postgresql://127.0.0.1/drill_arch', password: 'p' },
      'sql'
    )
    await mkdir(path.dirname(conf), { recursive: true })
    await writeFile(conf, text)
    const info = await readHome(home, new MemoryLogger())
    expect(info.databases.repository).toMatchObject({
      url: 'jdbc:postgresql://127.0.0.1/drill_repo',
      username: 'xlr_service'
    })
    expect(info.databases.archive).toMatchObject({ url: 'jdbc:postgresql://127.0.0.1/drill_arch', password: 'p' })
    expect(info.configFilesRead).toContain('conf/cluster.conf')
  })
})

describe('quoteHoconString', () => {
  it.each([
    'plain',
    'with "quotes"',
    'back\\slash',
    'new\nline\ttab\r',
    'ctl\u0001\u007f',
    '${x} # // ',
    'ünïcødé €',
    ''
  ])('round-trips %j', value => {
    expect(getString(reparse(`v = ${quoteHoconString(value)}`), 'v')).toBe(value)
  })
})
