import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { countTreeBytes, countTreeSpace } from '../../src/archive/count-tree.js'
import { ExcludeMatcher } from '../../src/archive/exclude.js'
import { walkTree } from '../../src/archive/tree-walker.js'

/**
 * The counting worker runs the writer's walk (workers/count-worker.ts imports tree-walker.ts), but in another thread,
 * with the exclusions sent across as data: it must still agree with the walk the writer archives, whatever they are.
 */
describe('countTreeBytes', () => {
  let root: string

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'xlr-count-'))
    const put = async (rel: string, bytes: number): Promise<void> => {
      await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true })
      await fsp.writeFile(path.join(root, rel), Buffer.alloc(bytes, 7))
    }
    await put('conf/xl-release-server.conf', 100)
    await put('lib/a.jar', 5000)
    await put('log/xl-release.log', 70_000)
    await put('log/old/x.log', 300)
    await put('work/tmp/a.tmp', 11)
    await put('.hidden/file', 13)
    await put('#notes', 17)
    await fsp.mkdir(path.join(root, 'empty'))
    // Links count as links (their text), never as what they point at.
    await fsp.symlink('../lib/a.jar', path.join(root, 'conf/link.jar'))
    await fsp.symlink('lib', path.join(root, 'libdir'))
  })

  afterAll(async () => {
    await fsp.rm(root, { recursive: true, force: true })
  })

  const walked = async (exclude: ExcludeMatcher): Promise<number> => {
    let bytes = 0
    for await (const e of walkTree(root, { exclude })) if (e.kind === 'file') bytes += e.size
    return bytes
  }

  test.each([[[]], [['log/**']], [['log/']], [['**/*.tmp', '.hidden']], [['log/old/', 'lib/*.jar']], [['./#notes']]])(
    'with exclusions %j it counts what the walk archives',
    async patterns => {
      const exclude = ExcludeMatcher.parse(patterns)
      const expected = await walked(exclude)
      expect(await countTreeBytes(root, exclude)).toBe(expected)
    }
  )

  test('with no exclusions the count is every regular file byte', async () => {
    expect(await countTreeBytes(root, ExcludeMatcher.none())).toBe(100 + 5000 + 70_000 + 300 + 11 + 13 + 17)
  })

  test('the room a copy takes counts whole blocks per file, a block per folder and the names folders hold', async () => {
    const names = ['conf', 'xl-release-server.conf', 'link.jar', 'lib', 'a.jar', 'log', 'xl-release.log', 'old']
    names.push('x.log', 'work', 'tmp', 'a.tmp', '.hidden', 'file', '#notes', 'empty', 'libdir')
    const entries = names.reduce((n, name) => n + 8 + Math.ceil(name.length / 4) * 4, 0)
    // Nine folders with the root; both links are short enough to live in their inodes.
    expect(await countTreeSpace(root, ExcludeMatcher.none(), 4096)).toEqual({
      bytes: 75_441,
      fileBlocks: 4096 + 8192 + 73_728 + 4 * 4096,
      metadata: 9 * 4096 + entries,
      entries: names.length + 1
    })
    expect((await countTreeSpace(root, ExcludeMatcher.parse(['log/']), 1024)).fileBlocks).toBe(1024 + 5120 + 3 * 1024)
  })

  test('a link too long for its inode takes a block', async () => {
    const linked = await fsp.mkdtemp(path.join(os.tmpdir(), 'xlr-count-link-'))
    try {
      await fsp.symlink('x'.repeat(59), path.join(linked, 'short'))
      await fsp.symlink('x'.repeat(60), path.join(linked, 'long'))
      const space = await countTreeSpace(linked, ExcludeMatcher.none(), 4096)
      // The root and the long link a block each; 'short' and 'long' an entry each (8 bytes, then the name in 4-byte steps).
      expect(space).toEqual({ bytes: 0, fileBlocks: 0, metadata: 4096 + 4096 + (8 + 8) + (8 + 4), entries: 3 })
    } finally {
      await fsp.rm(linked, { recursive: true, force: true })
    }
  })
})
