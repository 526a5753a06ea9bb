import fsp from 'node:fs/promises'
import path from 'node:path'
import { ExcludeMatcher } from '../../../src/archive/exclude.js'
import { InputError } from '../../../src/shared/errors.js'
import { zipListing, zipTree } from '../../support/writer-fixtures.js'
import { scratchFolder } from '../../support/scratch.js'
import { thrownBy } from '../../support/thrown.js'

describe('ExcludeMatcher', () => {
  const m = (patterns: string, rel: string, dir = false): boolean => ExcludeMatcher.parse(patterns).excludes(rel, dir)

  test('* and ? stay inside one segment, dot-files included', () => {
    expect(m('*.log', 'x.log')).toBe(true)
    expect(m('*.log', '.hidden.log')).toBe(true)
    expect(m('*.log', 'log/x.log')).toBe(false)
    expect(m('log/?.log', 'log/a.log')).toBe(true)
    expect(m('log/?.log', 'log/ab.log')).toBe(false)
  })

  test('** spans folders, anchored at the home', () => {
    expect(m('**/*.tmp', 'a.tmp')).toBe(true)
    expect(m('**/*.tmp', 'work/x/y/a.tmp')).toBe(true)
    expect(m('**/*.tmp', 'work/x/y/a.tmpx')).toBe(false)
    expect(m('log/**', 'log/a/b.txt')).toBe(true)
    expect(m('log/**', 'log', true)).toBe(false)
    expect(m('log/**', 'catalog/x')).toBe(false)
    expect(m('repository/**/index', 'repository/index', true)).toBe(true)
    expect(m('repository/**/index', 'repository/workspaces/default/index', true)).toBe(true)
    expect(m('**', 'anything/at/all')).toBe(true)
  })

  test('a trailing slash matches folders only; a bare name matches both', () => {
    expect(m('work/', 'work', true)).toBe(true)
    expect(m('work/', 'work', false)).toBe(false)
    expect(m('work', 'work', false)).toBe(true)
    expect(m('work', 'work', true)).toBe(true)
  })

  test('classes, regex metacharacters taken literally, comments and blank lines, leading ./ or /', () => {
    expect(m('log/[ab]*.log', 'log/b1.log')).toBe(true)
    expect(m('log/[!ab]*.log', 'log/b1.log')).toBe(false)
    expect(m('log/[!ab]*.log', 'log/c1.log')).toBe(true)
    expect(m('a+b(1).txt', 'a+b(1).txt')).toBe(true)
    expect(m('a.txt', 'aXtxt')).toBe(false)
    expect(m('# comment\n\n  ./conf/*.bak  \n', 'conf/x.bak')).toBe(true)
    expect(m('/conf/*.bak', 'conf/x.bak')).toBe(true)
    expect(ExcludeMatcher.parse('# only\n\n').patterns).toEqual([])
    expect(ExcludeMatcher.parse(['log/**', 'work/']).patterns).toEqual(['log/**', 'work/'])
  })

  test.each([
    ['../etc/passwd', "'..'"],
    ['a//b', 'empty folder'],
    ['log\\x', 'backslash'],
    ['/', 'home itself'],
    ['log/[ab', "'['"]
  ])('rejects %p with an InputError naming the input and the pattern', (pattern, why) => {
    const error = thrownBy(InputError, () => ExcludeMatcher.parse(`ok/**\n${pattern}`))
    expect(error.input).toBe('exclude')
    expect(error.message).toContain(pattern)
    expect((error as Error).message).toContain(why)
  })
})

describe('exclusions applied by the writer', () => {
  let tmp: string
  scratchFolder('archive-writer-exclude-', made => (tmp = made))

  test('excluded files and folders are left out, folders are not descended into, log/** keeps log/', async () => {
    const home = path.join(tmp, 'home')
    for (const f of [
      'log/a.log',
      'log/old/b.log',
      'work/tmp/x.bin',
      'conf/x.conf',
      'conf/x.conf.tmp',
      'deep/a/b/c.tmp'
    ]) {
      await fsp.mkdir(path.dirname(path.join(home, f)), { recursive: true })
      await fsp.writeFile(path.join(home, f), f)
    }
    // An unreadable folder under an excluded one proves it is never listed.
    await fsp.mkdir(path.join(home, 'work/locked'))
    await fsp.chmod(path.join(home, 'work/locked'), 0)
    const zipPath = path.join(tmp, 'x.zip')
    const { records } = await zipTree(home, zipPath, { exclude: ['log/**', 'work/', '**/*.tmp'] })
    const names = [...(await zipListing(zipPath)).keys()].sort()
    expect(names).toEqual([
      'home/',
      'home/conf/',
      'home/conf/x.conf',
      'home/deep/',
      'home/deep/a/',
      'home/deep/a/b/',
      'home/log/',
      'manifest.json'
    ])
    expect(records.map(r => r.path).sort()).toEqual(names)
    await fsp.chmod(path.join(home, 'work/locked'), 0o755)
  })
})
