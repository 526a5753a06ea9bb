import { chmod, readFile, readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { ConfigParseError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { pointConfDirAtDatabases, pointJackrabbitXmlAtDatabase } from '../../src/home/conf-dir-rewrite.js'
import { parseJackrabbitXml } from '../../src/home/jackrabbit-xml.js'
import { readHome } from '../../src/home/read-home.js'
import { HomeFixtures, JACKRABBIT_MYSQL_XML, SQL_ERA_DATABASE_CONF, SQL_ERA_HOME } from '../support/home-fixtures.js'

const fixtures = new HomeFixtures()
afterAll(() => fixtures.cleanup())

const DRILL_REPO = { url: 'jdbc:postgresql://127.0.0.1:5432/drill_repo', username: 'drill', password: 'drill"pw<&>' }
const DRILL_ARCHIVE = { url: 'jdbc:postgresql://127.0.0.1:5432/drill_archive' }

describe('pointConfDirAtDatabases', () => {
  it('redirects both databases of a SQL-era conf/, keeps its includes and other files, and makes it owner-only', async () => {
    const home = await fixtures.home(SQL_ERA_HOME)
    const conf = path.join(home, 'conf')
    await chmod(path.join(conf, 'xl-release.conf'), 0o640)
    const logger = new MemoryLogger()
    const changed = await pointConfDirAtDatabases(
      conf,
      { repository: DRILL_REPO, archive: DRILL_ARCHIVE },
      'sql',
      logger
    )
    expect(changed).toEqual(['xl-release.conf'])
    // It may now hold the drill password in clear.
    expect((await stat(path.join(conf, 'xl-release.conf'))).mode & 0o777).toBe(0o600)
    expect((await readdir(conf)).sort()).toEqual(['cluster.conf', 'database.conf', 'xl-release.conf'])
    expect(await readFile(path.join(conf, 'database.conf'), 'utf8')).toBe(SQL_ERA_DATABASE_CONF)
    const info = await readHome(home, new MemoryLogger())
    expect(info.databases.repository).toMatchObject({
      url: DRILL_REPO.url,
      username: 'drill',
      password: DRILL_REPO.password
    })
    expect(info.databases.archive).toMatchObject({ url: DRILL_ARCHIVE.url, username: 'xlr_service' })
    expect(logger.secrets).toContain(DRILL_REPO.password)
  })

  it('creates xl-release.conf when the backup had none (embedded databases)', async () => {
    const home = await fixtures.home({ 'conf/xl-release-server.conf': 'http.port=5516\n' })
    await pointConfDirAtDatabases(path.join(home, 'conf'), { repository: DRILL_REPO }, 'sql', new MemoryLogger())
    expect((await readHome(home, new MemoryLogger())).databases.repository?.url).toBe(DRILL_REPO.url)
  })

  it('changes nothing when no drill database is given', async () => {
    const home = await fixtures.home({ 'conf/xl-release.conf': 'a = 1' })
    expect(await pointConfDirAtDatabases(path.join(home, 'conf'), {}, 'sql', new MemoryLogger())).toEqual([])
    expect(await readFile(path.join(home, 'conf/xl-release.conf'), 'utf8')).toBe('a = 1')
  })

  it('leaves a malformed xl-release.conf unchanged and says where it is broken', async () => {
    const home = await fixtures.home({ 'conf/xl-release.conf': 'xl {\n  database {\n' })
    await expect(
      pointConfDirAtDatabases(path.join(home, 'conf'), { repository: DRILL_REPO }, 'sql', new MemoryLogger())
    ).rejects.toThrow(ConfigParseError)
    expect(await readFile(path.join(home, 'conf/xl-release.conf'), 'utf8')).toBe('xl {\n  database {\n')
    expect(await readdir(path.join(home, 'conf'))).toEqual(['xl-release.conf'])
  })

  it('redirects a JCR-era home configured by jackrabbit-repository.xml', async () => {
    const home = await fixtures.home({
      'conf/jackrabbit-repository.xml': JACKRABBIT_MYSQL_XML,
      'lib/xl-release-server-7.2.1.jar': '',
      'repository/workspaces/default/': ''
    })
    const changed = await pointConfDirAtDatabases(
      path.join(home, 'conf'),
      { repository: DRILL_REPO },
      'jcr',
      new MemoryLogger()
    )
    expect(changed).toEqual(['xl-release.conf', 'jackrabbit-repository.xml'])
    const info = await readHome(home, new MemoryLogger())
    // xl.repository.persistence now names the drill DB, and so does every param of the XML.
    expect(info.databases.repository).toMatchObject({ url: DRILL_REPO.url, password: DRILL_REPO.password })
    const components = parseJackrabbitXml(
      await readFile(path.join(home, 'conf/jackrabbit-repository.xml'), 'utf8'),
      'x'
    )
    const withUrl = components.filter(c => c.params.url !== undefined)
    expect(withUrl).toHaveLength(2)
    for (const c of withUrl) {
      expect(c.params).toMatchObject({ url: DRILL_REPO.url, user: 'drill', password: DRILL_REPO.password })
    }
  })
})

describe('pointJackrabbitXmlAtDatabase', () => {
  it('replaces values in place, adds missing params, and keeps every other byte', () => {
    const xml = `<?xml version="1.0"?>
<!-- keep me -->
<Repository>
  <FileSystem class="local"><param name="path" value="\${rep.home}/repository"/></FileSystem>
  <Workspace name="default">
    <PersistenceManager class="pm">
      <param name='url' value='jdbc:postgresql://prod/xlr?a=1&amp;b=2'/>
      <param name="schemaObjectPrefix" value="\${wsp.name}_"/>
    </PersistenceManager>
  </Workspace>
</Repository>
`
    const { text, redirected } = pointJackrabbitXmlAtDatabase(
      xml,
      { url: 'jdbc:postgresql://drill/x?a=1&b=2', username: 'u' },
      'f'
    )
    expect(redirected).toEqual(['Repository/Workspace/PersistenceManager'])
    expect(text).toBe(
      xml
        .replace('jdbc:postgresql://prod/xlr?a=1&amp;b=2', 'jdbc:postgresql://drill/x?a=1&amp;b=2')
        .replace('<PersistenceManager class="pm">', '<PersistenceManager class="pm"><param name="user" value="u"/>')
    )
    const pm = parseJackrabbitXml(text, 'f').find(c => c.element === 'PersistenceManager')!
    expect(pm.params).toMatchObject({
      url: 'jdbc:postgresql://drill/x?a=1&b=2',
      user: 'u',
      schemaObjectPrefix: '${wsp.name}_'
    })
  })

  it('leaves a file with no database params as it is', () => {
    const xml = '<Repository><Workspace><PersistenceManager class="derby"/></Workspace></Repository>'
    expect(pointJackrabbitXmlAtDatabase(xml, { url: 'u' }, 'f')).toEqual({ text: xml, redirected: [] })
  })
})
