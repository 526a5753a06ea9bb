import { checkDrillTargets } from '../../src/commands/restore/drill-targets.js'
import { InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { homeWith, settings } from '../support/database-fixtures.js'

const prod = {
  repository: { url: 'jdbc:postgresql://prod:5432/xlrelease', username: 'xlr', password: null },
  archive: { url: 'jdbc:postgresql://prod:5432/xlarchive', username: 'xlr', password: null }
}
const drill = settings({ repository: { url: 'jdbc:postgresql://drill:5432/xlrelease' } })
const dump = (roles: ('repository' | 'archive')[]) => ({
  roles,
  engine: 'postgresql',
  url: '',
  host: 'prod',
  port: 5432,
  database: roles[0],
  embedded: false,
  dump: { format: 'pg-custom', prefix: `database/${roles[0]}/` }
})
const manifest = (roles: ('repository' | 'archive')[][]) =>
  ({ databases: roles.map(dump) }) as unknown as Parameters<typeof checkDrillTargets>[0]['manifest']

function check(over: Partial<Parameters<typeof checkDrillTargets>[0]>): { error?: unknown; logger: MemoryLogger } {
  const logger = new MemoryLogger()
  try {
    checkDrillTargets({
      manifest: manifest([['repository'], ['archive']]),
      configHome: homeWith(prod),
      settings: drill,
      restoresDatabases: true,
      confRestored: true,
      logger,
      ...over
    })
    return { logger }
  } catch (error) {
    return { error, logger }
  }
}

describe('checkDrillTargets', () => {
  it('a drill that restores the archive dump without its own target is refused, naming the input', () => {
    const { error } = check({})
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('archive-database-url')
    expect((error as Error).message).toContain(
      'the archive database would be restored into jdbc:postgresql://prod:5432/xlarchive (conf/xl-release.conf: xl.reporting)'
    )
    expect((error as Error).message).toContain("or leave 'databases' out of 'components'")
  })

  it('a drill of conf only (no databases restored) still may not leave the drill server on production', () => {
    const { error } = check({ restoresDatabases: false })
    expect((error as InputError).input).toBe('archive-database-url')
    expect((error as Error).message).toContain(
      "the restored conf/ would still point the drill server's archive database at jdbc:postgresql://prod:5432/xlarchive"
    )
  })

  it('an archive URL the drill runner cannot resolve counts as production', () => {
    const home = homeWith({ repository: prod.repository })
    home.unresolvedDatabaseUrls = {
      archive: {
        key: 'xl.reporting.db-url',
        file: '/x/conf/xl-release.conf',
        line: 7,
        text: 'db-url = ${?XL_REPORT_DB_URL}'
      }
    }
    const { error } = check({ configHome: home, manifest: manifest([['repository']]) })
    expect((error as InputError).input).toBe('archive-database-url')
    expect((error as Error).message).toContain('whatever db-url = ${?XL_REPORT_DB_URL} gives the server')
  })

  it('an archive embedded in the restored home is left alone, and the log says so', () => {
    const { error, logger } = check({
      configHome: homeWith({ repository: prod.repository }),
      manifest: manifest([['repository']])
    })
    expect(error).toBeUndefined()
    expect(logger.messages('info').join('\n')).toContain(
      'the archive database stays the embedded one restored into the drill home'
    )
  })

  it('every target given, or none redirected (a plain restore): accepted', () => {
    const both = settings({
      repository: { url: 'jdbc:postgresql://drill:5432/a' },
      archive: { url: 'jdbc:postgresql://drill:5432/b' }
    })
    expect(check({ settings: both }).error).toBeUndefined()
    expect(check({ settings: settings() }).error).toBeUndefined()
    const same = settings({ repository: { url: prod.repository.url } })
    expect(check({ settings: same }).error).toBeUndefined()
  })

  it('both roles in one dump: redirecting the repository alone is refused for the archive', () => {
    const { error } = check({ manifest: manifest([['repository', 'archive']]) })
    expect((error as InputError).input).toBe('archive-database-url')
  })
})
