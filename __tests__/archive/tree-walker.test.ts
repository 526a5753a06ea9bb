import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ExcludeMatcher } from '../../src/archive/exclude.js'
import { walkTree } from '../../src/archive/tree-walker.js'

/**
 * The archive's entry order is the walk's: depth first, each folder before its contents, names sorted by UTF-16 code
 * unit at every depth, links never followed. The walk keeps its folders on a stack rather than in nested generators;
 * this pins the order it must keep doing so, on a tree deeper than a home's.
 */
describe('walkTree', () => {
  let root: string

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'xlr-walk-'))
    const put = async (rel: string): Promise<void> => {
      await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true })
      await fsp.writeFile(path.join(root, rel), rel)
    }
    for (const rel of [
      'b/x',
      'a/z',
      'a/c/d/e/f/g/h',
      'a/c/d/e/f/g2',
      'a/c/x',
      'B',
      'a/c.txt',
      'ä',
      'skip/me/y',
      'a/c/d/zz'
    ])
      await put(rel)
    await fsp.mkdir(path.join(root, 'a/c/empty'))
    await fsp.symlink('a', path.join(root, 'link'))
  })

  afterAll(async () => {
    await fsp.rm(root, { recursive: true, force: true })
  })

  test('yields each folder before its contents, depth first, sorted at every depth, links as links', async () => {
    const seen: string[] = []
    for await (const e of walkTree(root, { exclude: ExcludeMatcher.parse(['skip/me/**']) })) {
      seen.push(`${e.kind[0]} ${e.rel}`)
    }
    expect(seen).toEqual([
      'd ',
      'f B',
      'd a',
      'd a/c',
      'd a/c/d',
      'd a/c/d/e',
      'd a/c/d/e/f',
      'd a/c/d/e/f/g',
      'f a/c/d/e/f/g/h',
      'f a/c/d/e/f/g2',
      'f a/c/d/zz',
      'd a/c/empty',
      'f a/c/x',
      'f a/c.txt',
      'f a/z',
      'd b',
      'f b/x',
      's link',
      'd skip',
      'd skip/me',
      'f ä'
    ])
  })
})
