import { InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import {
  backupTopLevel,
  componentWarnings,
  decideIndexReset,
  selectComponents
} from '../../src/restore-engine/index.js'
import { thrownBy } from '../support/thrown.js'

const entries = ['README.txt', 'archive', 'bin', 'conf', 'ext', 'hotfix', 'lib', 'log', 'plugins', 'repository']
const names = (input: string, db = true) => selectComponents(input, entries, db).map(c => c.name)

describe('selectComponents', () => {
  it('default is the user data present in the backup, in the vendor order, then the databases', () => {
    expect(names('default')).toEqual(['repository', 'conf', 'ext', 'plugins', 'archive', 'hotfix', 'databases'])
    expect(names('')).toEqual(names('default'))
    expect(names('default', false)).toEqual(['repository', 'conf', 'ext', 'plugins', 'archive', 'hotfix'])
  })

  it('default skips core folders the backup lacks and says so', () => {
    const logger = new MemoryLogger()
    const got = selectComponents('default', ['conf', 'lib'], false, logger).map(c => c.name)
    expect(got).toEqual(['conf'])
    expect(logger.messages('info').join()).toContain('repository, ext, plugins')
  })

  it('all is every top-level entry of the backup, files included, and the databases', () => {
    expect(names('all')).toEqual([
      'repository',
      'conf',
      'ext',
      'plugins',
      'archive',
      'hotfix',
      'README.txt',
      'bin',
      'lib',
      'log',
      'databases'
    ])
  })

  it('an explicit list is validated and ordered for the swap', () => {
    expect(names(' plugins, conf ,databases')).toEqual(['conf', 'plugins', 'databases'])
    expect(names('lib')).toEqual(['lib'])
  })

  it('unknown names are refused naming the input and listing the valid ones', () => {
    const err = thrownBy(InputError, () => names('conf,reports,nope'))
    expect(err.input).toBe('components')
    expect(err.message).toContain("'reports', 'nope'")
    expect((err as Error).message).toContain('README.txt, archive, bin, conf')
    expect(() => names('databases', false)).toThrow(/holds no database dumps/)
    expect(() => names(',')).toThrow(/names no component/)
  })

  it('backupTopLevel reads the manifest entries and ignores restore work folders', () => {
    expect(
      backupTopLevel([
        { path: 'home/conf/' },
        { path: 'home/conf/a' },
        { path: 'home/README.txt' },
        { path: 'home/.xlr-restore-1/journal.json' },
        { path: 'database/repository/dump' },
        { path: 'manifest.json' }
      ])
    ).toEqual(['README.txt', 'conf'])
  })
})

describe('componentWarnings', () => {
  const comps = (input: string, db = true) => selectComponents(input, entries, db)
  const ctx = { version: '22.3.1', backupHasKeystore: true, hasDatabases: true }

  it('warns about plugins without databases and the reverse on 22.0+ only', () => {
    expect(componentWarnings(comps('conf,plugins'), ctx).join()).toMatch(/plugins without databases.*deletes plugins/)
    expect(componentWarnings(comps('conf,databases'), ctx).join()).toMatch(/databases without plugins/)
    expect(componentWarnings(comps('conf,plugins'), { ...ctx, version: '10.3.0' })).toEqual([])
    expect(componentWarnings(comps('conf,plugins,databases'), ctx)).toEqual([])
  })

  it('with embedded databases pairs plugins with repository/', () => {
    const warnings = componentWarnings(comps('conf,plugins', false), { ...ctx, hasDatabases: false })
    expect(warnings.join()).toMatch(/plugins without repository/)
  })

  it('warns loudly when databases are restored without the keystore of the same backup', () => {
    expect(componentWarnings(comps('plugins,databases'), ctx).join()).toMatch(
      /DATABASE WITHOUT ITS KEYSTORE.*'conf' is not/
    )
    expect(componentWarnings(comps('conf,plugins,databases'), { ...ctx, backupHasKeystore: false }).join()).toMatch(
      /holds no conf\/repository-keystore.jceks/
    )
    expect(componentWarnings(comps('conf,plugins,databases'), ctx)).toEqual([])
  })
})

describe('decideIndexReset', () => {
  const folders = ['repository/repository/index']
  const base = {
    repositoryRestored: true,
    databasesRestored: true,
    hasDatabases: true,
    databaseSource: 'backup' as const,
    folders
  }
  it.each([
    [{ mode: 'auto' as const }, false],
    [{ mode: 'auto' as const, databasesRestored: false }, true],
    [{ mode: 'auto' as const, repositoryRestored: false }, true],
    [{ mode: 'auto' as const, repositoryRestored: false, databasesRestored: false }, false],
    [{ mode: 'auto' as const, databaseSource: 'separate' as const }, true],
    [{ mode: 'auto' as const, databasesRestored: false, hasDatabases: false }, false],
    [{ mode: 'true' as const, repositoryRestored: false, databasesRestored: false }, true],
    [{ mode: 'false' as const, databasesRestored: false }, false],
    [{ mode: 'true' as const, folders: [] }, false]
  ])('%j → reset %s', (over, reset) => {
    const d = decideIndexReset({ ...base, ...over })
    expect(d.reset).toBe(reset)
    expect(d.folders).toEqual(reset ? folders : [])
    expect(d.reason).not.toBe('')
  })
})
