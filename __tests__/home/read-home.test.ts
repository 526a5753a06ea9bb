import { chmod, symlink, truncate, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { ConfigParseError, NotAHomeError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { readHome } from '../../src/home/index.js'
import {
  HomeFixtures,
  type HomeFiles,
  JACKRABBIT_MYSQL_REPOSITORY,
  JACKRABBIT_MYSQL_XML,
  SQL_ERA_CLUSTER_CONF,
  SQL_ERA_CONF,
  SQL_ERA_DATABASE_CONF
} from '../support/home-fixtures.js'

const fixtures = new HomeFixtures()
afterAll(() => fixtures.cleanup())

const SERVER_CONF = `#XL Release server configuration
http.port=5543
http.bind.address=0.0.0.0
http.context.root=/
ssl=true
server.url=https\\://xlr.example.com\\:5543/
repository.keystore.password={b64}keystorePW\\=\\=
`

async function expectRejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T
): Promise<T> {
  let error: unknown
  try {
    await promise
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(type)
  return error as T
}

describe('readHome on a SQL-era (22.x) home', () => {
  const ENV = 'ARCHIVE_DB_PASSWORD'
  beforeAll(() => {
    process.env[ENV] = 'archive-secret-from-env'
  })
  afterAll(() => {
    delete process.env[ENV]
  })

  it('reads server settings, both databases, version, era, folders and the files read', async () => {
    const home = await fixtures.home({
      'conf/xl-release-server.conf': SERVER_CONF,
      'conf/xl-release.conf': SQL_ERA_CONF,
      'conf/database.conf': SQL_ERA_DATABASE_CONF,
      'conf/cluster.conf': SQL_ERA_CLUSTER_CONF,
      'conf/repository-keystore.jceks': 'binary',
      'lib/xlr-server-22.3.4.jar': 'jar',
      'lib/guava-31.1.jar': 'jar',
      'plugins/__local__/': '',
      'repository/': '',
      'archive/': '',
      'ext/synthetic.xml': '<synthetic/>',
      'log/': '',
      'README.txt': 'a file, not a folder'
    })
    const logger = new MemoryLogger()
    const info = await readHome(home, logger)
    expect(info).toEqual({
      path: home,
      server: {
        httpPort: 5543,
        bindAddress: '0.0.0.0',
        contextRoot: '/',
        ssl: true,
        serverUrl: 'https://xlr.example.com:5543/'
      },
      databases: {
        repository: {
          role: 'repository',
          url: 'jdbc:postgresql://db.example.com:5432/xlrelease?ssl=true&sslmode=require',
          username: 'xlr_service',
          password: '{b64}C7JZetqHNXwGa+KYmL3yXQ==',
          driver: 'org.postgresql.Driver',
          source: 'conf/xl-release.conf: xl.database'
        },
        archive: {
          role: 'archive',
          url: 'jdbc:postgresql://db.example.com:5432/xlarchive',
          username: 'xlr_service',
          password: 'archive-secret-from-env',
          driver: 'org.postgresql.Driver',
          source: 'conf/xl-release.conf: xl.reporting'
        }
      },
      version: '22.3.4',
      versionSource: 'lib/xlr-server-22.3.4.jar',
      era: 'sql',
      folders: ['archive', 'conf', 'ext', 'lib', 'log', 'plugins', 'repository'],
      cluster: { key: 'xl.cluster.mode', mode: 'hot-standby' },
      configFilesRead: [
        'conf/xl-release-server.conf',
        'conf/xl-release.conf',
        'conf/database.conf',
        'conf/cluster.conf'
      ]
    })
    expect(logger.secrets).toEqual(
      expect.arrayContaining(['{b64}C7JZetqHNXwGa+KYmL3yXQ==', 'archive-secret-from-env', '{b64}keystorePW=='])
    )
    // The optional include that is absent is a warning, not a failure.
    expect(logger.messages('warning').join('\n')).toContain('optional-local.conf')
    for (const line of logger.messages()) {
      for (const secret of logger.secrets) expect(line).not.toContain(secret)
    }
  })

  it('keeps a substitution the server gets from its own environment, with a warning, instead of refusing', async () => {
    const home = await fixtures.home({
      'conf/xl-release.conf':
        'xl.database {\n  db-url = "jdbc:postgresql://db/xlr"\n  db-password = ${XLR_TEST_UNSET_DB_PASSWORD}\n}\n'
    })
    const logger = new MemoryLogger()
    const info = await readHome(home, logger)
    expect(info.databases.repository?.password).toBe('${XLR_TEST_UNSET_DB_PASSWORD}')
    expect(logger.messages('warning').join('\n')).toContain(
      'xl-release.conf:3: ${XLR_TEST_UNSET_DB_PASSWORD} is not set'
    )
  })

  it('resolves a symlinked or relative home path to the real folder', async () => {
    const home = await fixtures.home({ 'conf/': '' })
    const parent = await fixtures.dir()
    await symlink(home, path.join(parent, 'current'))
    expect((await readHome(path.join(parent, 'current'), new MemoryLogger())).path).toBe(home)
    const relative = path.relative(process.cwd(), home)
    expect((await readHome(relative, new MemoryLogger())).path).toBe(home)
  })

  it('lists a symlinked top-level folder as a folder', async () => {
    const home = await fixtures.home({ 'conf/': '' })
    const elsewhere = await fixtures.home({ 'x/': '' })
    await symlink(elsewhere, path.join(home, 'repository'))
    expect((await readHome(home, new MemoryLogger())).folders).toEqual(['conf', 'repository'])
  })

  it('warns when lib/ holds server jars of two versions', async () => {
    const home = await fixtures.home({ 'conf/': '', 'lib/xlr-server-22.3.4.jar': '', 'lib/xlr-server-23.1.0.jar': '' })
    const logger = new MemoryLogger()
    expect((await readHome(home, logger)).version).toBe('23.1.0')
    expect(logger.messages('warning').join('\n')).toContain('more than one version (23.1.0, 22.3.4)')
  })
})

describe('readHome on JCR-era homes', () => {
  it('reads a 7.2 home configured by jackrabbit-repository.xml', async () => {
    const home = await fixtures.home({
      'conf/xl-release-server.conf': 'http.port=5516\njcr.repository.path=repository\n',
      'conf/jackrabbit-repository.xml': JACKRABBIT_MYSQL_XML,
      'lib/xl-release-server-7.2.1.jar': '',
      'repository/workspaces/default/': '',
      'archive/db/': ''
    })
    const logger = new MemoryLogger()
    const info = await readHome(home, logger)
    expect(info.era).toBe('jcr')
    expect(info.version).toBe('7.2.1')
    expect(info.databases).toEqual({ repository: JACKRABBIT_MYSQL_REPOSITORY })
    expect(info.configFilesRead).toEqual(['conf/xl-release-server.conf', 'conf/jackrabbit-repository.xml'])
    expect(logger.secrets).toContain('p<ss"w0rd!')
  })

  it('reads xl.repository.persistence and xl.repository.configuration from a 7.x xl-release.conf', async () => {
    const home = await fixtures.home({
      'conf/xl-release.conf': `xl {
  repository {
    configuration = postgresql-standalone
    persistence {
      jdbcUrl = "jdbc:postgresql://pg.example.com:5432/xlrelease"
      username = "xlrelease"
      password = "{b64}abc/def=="
      maxPoolSize = 20
    }
    jackrabbit.artifacts.location = "/mnt/artifacts"
  }
}
`
    })
    const logger = new MemoryLogger()
    const info = await readHome(home, logger)
    expect(info.era).toBe('jcr')
    expect(info.jcrRepositoryConfiguration).toBe('postgresql-standalone')
    expect(info.databases.repository).toEqual({
      role: 'repository',
      url: 'jdbc:postgresql://pg.example.com:5432/xlrelease',
      username: 'xlrelease',
      password: '{b64}abc/def==',
      driver: null,
      source: 'conf/xl-release.conf: xl.repository.persistence'
    })
    expect(logger.secrets).toContain('{b64}abc/def==')
  })

  it('takes the era from the version even when JCR leftovers remain after an upgrade', async () => {
    const home = await fixtures.home({
      'conf/jackrabbit-repository.xml': JACKRABBIT_MYSQL_XML,
      'repository/workspaces/': '',
      'lib/xlr-server-10.1.0.jar': ''
    })
    const info = await readHome(home, new MemoryLogger())
    expect(info.era).toBe('sql')
    // The old Jackrabbit database is not this server's repository any more.
    expect(info.databases).toEqual({})
  })

  it('tells the era from repository/workspaces alone', async () => {
    const home = await fixtures.home({ 'conf/': '', 'repository/workspaces/': '' })
    expect((await readHome(home, new MemoryLogger())).era).toBe('jcr')
  })
})

describe('readHome defaults', () => {
  it('gives defaults for a home whose conf/ is empty', async () => {
    const home = await fixtures.home({ 'conf/': '' })
    const info = await readHome(home, new MemoryLogger())
    expect(info).toEqual({
      path: home,
      server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false, serverUrl: null },
      databases: {},
      version: null,
      era: 'unknown',
      folders: ['conf'],
      configFilesRead: []
    })
  })

  it('reads the version from the folder name and the era from it', async () => {
    const home = await fixtures.home({ 'conf/': '', 'lib/': '' }, 'xl-release-9.7.2-server')
    const info = await readHome(home, new MemoryLogger())
    expect(info.version).toBe('9.7.2')
    expect(info.versionSource).toBe('folder name xl-release-9.7.2-server')
    expect(info.era).toBe('sql')
  })

  it('treats the stock empty xl-release.conf and a block without URL as no external database', async () => {
    const home = await fixtures.home({
      'conf/xl-release.conf': '# stock file\nxl {\n}\nxl.database.max-pool-size = 5\n'
    })
    const info = await readHome(home, new MemoryLogger())
    expect(info.databases).toEqual({})
    expect(info.era).toBe('sql')
  })
})

describe('readHome file encodings', () => {
  it('reads an ISO-8859-1 server config as Java does', async () => {
    const home = await fixtures.home({ 'conf/': '' })
    await writeFile(
      path.join(home, 'conf/xl-release-server.conf'),
      Buffer.from('server.url=http://r\xe9lease.example.com/\n', 'latin1')
    )
    expect((await readHome(home, new MemoryLogger())).server.serverUrl).toBe('http://r\u00e9lease.example.com/')
  })
})

describe('readHome refuses what is not a home', () => {
  it('a missing path', async () => {
    const parent = await fixtures.dir()
    const missing = path.join(parent, 'no-such-home')
    const error = await expectRejection(readHome(missing, new MemoryLogger()), NotAHomeError)
    expect(error.path).toBe(missing)
    expect(error.message).toContain(`${missing} does not exist`)
    expect(error.message).toContain('expected XL_RELEASE_SERVER_HOME, the folder holding conf/, lib/')
  })

  it('a file', async () => {
    const parent = await fixtures.dir()
    const file = path.join(parent, 'xl-release.zip')
    await writeFile(file, 'zip')
    const error = await expectRejection(readHome(file, new MemoryLogger()), NotAHomeError)
    expect(error.message).toContain('is a file, not a folder')
  })

  it('a folder without conf/', async () => {
    const home = await fixtures.home({ 'lib/x.jar': '', 'conf.bak/': '' })
    const error = await expectRejection(readHome(home, new MemoryLogger()), NotAHomeError)
    expect(error.message).toContain(`${home} has no conf/ folder`)
    expect(error.message).toContain('expected XL_RELEASE_SERVER_HOME')
  })

  it('a folder whose conf is a file', async () => {
    const home = await fixtures.home({ conf: 'not a folder' })
    await expectRejection(readHome(home, new MemoryLogger()), NotAHomeError)
  })

  it('a path through a file', async () => {
    const parent = await fixtures.dir()
    await writeFile(path.join(parent, 'file'), 'x')
    const error = await expectRejection(readHome(path.join(parent, 'file', 'home'), new MemoryLogger()), NotAHomeError)
    expect(error.message).toContain('expected XL_RELEASE_SERVER_HOME')
  })

  const asRoot = process.getuid?.() === 0
  ;(asRoot ? it.skip : it)('an unreadable folder (skipped as root, who can read anything)', async () => {
    const home = await fixtures.home({ 'conf/': '' })
    await chmod(home, 0o000)
    try {
      const error = await expectRejection(readHome(home, new MemoryLogger()), NotAHomeError)
      expect(error.message).toContain('permission denied')
    } finally {
      await chmod(home, 0o700)
    }
  })
})

describe('readHome on malformed files', () => {
  // What the error says of each: the file (relative to the home) and line it names, and a part of its message.
  it.each<[string, HomeFiles, { file?: string; line?: number; says?: string }]>([
    [
      'a non-numeric port: the file and the line',
      { 'conf/xl-release-server.conf': '# conf\nhttp.bind.address=0.0.0.0\nhttp.port=55x6\n' },
      { file: 'conf/xl-release-server.conf', line: 3, says: 'http.port' }
    ],
    [
      'an unbalanced brace in xl-release.conf',
      { 'conf/xl-release.conf': 'xl {\n  database {\n    db-url = "jdbc:h2:file:x"\n}\n' },
      { file: 'conf/xl-release.conf', line: 1 }
    ],
    [
      'an unterminated string in an included file names that file',
      {
        'conf/xl-release.conf': 'include "db.conf"\n',
        'conf/db.conf': 'xl.database {\n  db-password = "unterminated\n}\n'
      },
      { file: 'conf/db.conf', line: 2 }
    ],
    [
      'xl.database that is not an object',
      { 'conf/xl-release.conf': '\nxl.database = "jdbc:postgresql://x/y"\n' },
      { line: 2, says: 'xl.database should be an object' }
    ],
    [
      'broken jackrabbit-repository.xml',
      { 'conf/jackrabbit-repository.xml': '<Repository>\n<Workspace>\n</Repository>\n' },
      { file: 'conf/jackrabbit-repository.xml', line: 3 }
    ],
    ['a config path that is a folder', { 'conf/xl-release.conf/': '' }, { says: 'not a regular file' }]
  ])('%s', async (_title, files, { file, line, says }) => {
    const home = await fixtures.home(files)
    const error = await expectRejection(readHome(home, new MemoryLogger()), ConfigParseError)
    expect(error).toMatchObject({
      ...(file === undefined ? {} : { file: path.join(home, file) }),
      ...(line === undefined ? {} : { line }),
      ...(says === undefined ? {} : { message: expect.stringContaining(says) })
    })
  })

  it('a config file far too large to be one, refused without reading it', async () => {
    const home = await fixtures.home({ 'conf/': '' })
    const big = path.join(home, 'conf/xl-release.conf')
    await writeFile(big, '')
    await truncate(big, 64 * 1024 * 1024) // sparse: no disk used
    const error = await expectRejection(readHome(home, new MemoryLogger()), ConfigParseError)
    expect(error.message).toContain('too large for a configuration file')
  })
})
