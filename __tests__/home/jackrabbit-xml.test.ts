import { ConfigParseError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { databaseFromJackrabbit } from '../../src/home/databases.js'
import { decodeEntities, parseJackrabbitXml } from '../../src/home/jackrabbit-xml.js'
import { JACKRABBIT_MYSQL_REPOSITORY, JACKRABBIT_MYSQL_XML } from '../support/home-fixtures.js'
import { thrownBy } from '../support/thrown.js'

const FILE = '/home/xlr/conf/jackrabbit-repository.xml'

describe('parseJackrabbitXml', () => {
  it('finds the components and their params, decoding entities and ignoring comments and the DOCTYPE', () => {
    const components = parseJackrabbitXml(JACKRABBIT_MYSQL_XML, FILE)
    expect(components.map(c => c.location)).toEqual([
      'Repository/FileSystem',
      'Repository/DataStore',
      'Repository/Workspace/FileSystem',
      'Repository/Workspace/PersistenceManager',
      'Repository/Versioning/PersistenceManager'
    ])
    const pm = components[3]
    expect(pm.className).toBe('org.apache.jackrabbit.core.persistence.pool.MySqlPersistenceManager')
    expect(pm.params.url).toBe('jdbc:mysql://mysql.example.com:3306/xlrelease?autoReconnect=true&useSSL=false')
    expect(pm.params.password).toBe('p<ss"w0rd!')
    expect(pm.params.schemaObjectPrefix).toBe('${wsp.name}_')
    expect(components[0].params.url).toBeUndefined()
    expect(pm.line).toBe(24)
  })

  it.each([
    ['an unterminated comment', '<Repository>\n<!-- open\n</Repository>', 2, 'never closed'],
    ['an unterminated attribute', '<Repository>\n  <param name="url" value="x/>\n</Repository>', 2, 'never closed'],
    ['an unquoted attribute', '<Repository>\n<param name=url/>\n</Repository>', 2, 'must be quoted'],
    [
      'a mismatched closing tag',
      '<Repository>\n<Workspace>\n</Repository>',
      3,
      'does not match <Workspace> opened at line 2'
    ],
    ['an unclosed element', '<Repository>\n<Workspace>\n', 2, 'never closed'],
    ['a stray closing tag', '</Repository>', 1, 'no matching opening tag']
  ])('reports %s with file and line', (_name, xml, line, detail) => {
    const error = thrownBy(ConfigParseError, () => parseJackrabbitXml(xml, FILE))
    expect(error.line).toBe(line)
    expect(error.message).toContain(detail)
  })

  it('decodes entities and keeps unknown ones as written', () => {
    expect(decodeEntities('a&amp;b &lt;&gt; &apos;&quot; &#65;&#x42; &unknown; &#x110000;')).toBe(
      'a&b <> \'" AB &unknown; &#x110000;'
    )
  })
})

describe('databaseFromJackrabbit', () => {
  it('takes the workspace PersistenceManager as the repository and masks every password', () => {
    const logger = new MemoryLogger()
    const found = databaseFromJackrabbit(
      parseJackrabbitXml(JACKRABBIT_MYSQL_XML, FILE),
      'conf/jackrabbit-repository.xml',
      logger
    )
    expect(found.repository).toEqual(JACKRABBIT_MYSQL_REPOSITORY)
    expect(found.others).toEqual([])
    expect(logger.secrets).toEqual(expect.arrayContaining(['p<ss"w0rd!', 'other']))
  })

  it('reports a DataStore on another database as needing its own backup', () => {
    const xml = `<Repository>
      <DataStore class="org.apache.jackrabbit.core.data.db.DbDataStore">
        <param name="url" value="jdbc:postgresql://blobs:5432/xlr_blobs"/>
        <param name="password" value="blobpw"/>
      </DataStore>
      <Workspace name="default"><PersistenceManager class="x"><param name="url" value="jdbc:postgresql://db/xlr"/></PersistenceManager></Workspace>
    </Repository>`
    const logger = new MemoryLogger()
    const found = databaseFromJackrabbit(parseJackrabbitXml(xml, FILE), 'x.xml', logger)
    expect(found.repository?.url).toBe('jdbc:postgresql://db/xlr')
    expect(found.others.map(o => o.element)).toEqual(['DataStore'])
    expect(logger.secrets).toContain('blobpw')
  })

  it('finds no repository in an embedded (Derby, no url) configuration', () => {
    const xml =
      '<Repository><Workspace name="w"><PersistenceManager class="org.apache.jackrabbit.core.persistence.pool.DerbyPersistenceManager"><param name="schemaObjectPrefix" value="x"/></PersistenceManager></Workspace></Repository>'
    expect(databaseFromJackrabbit(parseJackrabbitXml(xml, FILE), 'x.xml', new MemoryLogger())).toEqual({ others: [] })
  })
})
