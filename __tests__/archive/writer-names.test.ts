/**
 * Duplicate entry names are refused without remembering every name written: a tree's prefix may not overlap another
 * tree's prefix or a single entry's name; distinct prefixes and names go through.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import { ZipWriter } from '../../src/archive/zip-writer.js'
import { XlrBackupError } from '../../src/shared/errors.js'
import { scratchFolder } from '../support/scratch.js'

let tree: string

scratchFolder('archive-writer-names-', made => (tree = path.join(made, 'tree')))
beforeAll(async () => {
  await fsp.mkdir(path.join(tree, 'sub'), { recursive: true })
  await fsp.writeFile(path.join(tree, 'sub/a.txt'), 'a\n')
})

function newWriter(): ZipWriter {
  return new ZipWriter(new Writable({ write: (_c, _e, done) => done() }), { compressionLevel: 1, threads: 1 })
}

test('trees under distinct prefixes and single entries beside them are all written', async () => {
  const writer = newWriter()
  await expect(writer.addTree(tree, 'home/', { exclude: [] })).resolves.toBe(3)
  await expect(writer.addTree(tree, 'database/repository/', { exclude: [] })).resolves.toBe(3)
  await expect(writer.addTree(tree, 'database/archive/', { exclude: [] })).resolves.toBe(3)
  await writer.addBuffer('manifest.json', Buffer.from('{}'))
  await writer.addBuffer('database/notes.txt', Buffer.from('notes'))
  await expect(writer.finish()).resolves.toMatchObject({ bytesWritten: expect.any(Number) as number })
})

const refusals: [string, (w: ZipWriter) => Promise<unknown>, (w: ZipWriter) => Promise<unknown>, RegExp][] = [
  [
    'the same prefix twice',
    w => w.addTree(tree, 'home/', { exclude: [] }),
    w => w.addTree(tree, 'home/', { exclude: [] }),
    /^The archive already holds an entry named home\/\.$/
  ],
  [
    'a prefix inside an earlier tree',
    w => w.addTree(tree, 'home/', { exclude: [] }),
    w => w.addTree(tree, 'home/sub/', { exclude: [] }),
    /already holds entries named home\/…, which entries named home\/sub\/… could duplicate/
  ],
  [
    'a prefix around an earlier tree',
    w => w.addTree(tree, 'home/sub/', { exclude: [] }),
    w => w.addTree(tree, 'home/', { exclude: [] }),
    /already holds entries named home\/sub\/…, which entries named home\/… could duplicate/
  ],
  [
    'a buffer under an earlier tree',
    w => w.addTree(tree, 'home/', { exclude: [] }),
    w => w.addBuffer('home/sub/a.txt', Buffer.from('x')),
    /already holds entries named home\/…, which home\/sub\/a\.txt could duplicate/
  ],
  [
    "a buffer named as an earlier tree's root",
    w => w.addTree(tree, 'home/', { exclude: [] }),
    w => w.addBuffer('home/', Buffer.from('x')),
    /^The archive already holds an entry named home\/\.$/
  ],
  [
    'a tree over an earlier buffer',
    w => w.addBuffer('home/sub/a.txt', Buffer.from('x')),
    w => w.addTree(tree, 'home/', { exclude: [] }),
    /already holds an entry named home\/sub\/a\.txt, which entries named home\/… could duplicate/
  ],
  [
    'the same buffer name twice',
    w => w.addBuffer('manifest.json', Buffer.from('{}')),
    w => w.addBuffer('manifest.json', Buffer.from('{}')),
    /^The archive already holds an entry named manifest\.json\.$/
  ],
  [
    'a file named as an earlier buffer',
    w => w.addBuffer('manifest.json', Buffer.from('{}')),
    w => w.addFile('manifest.json', path.join(tree, 'sub/a.txt')),
    /^The archive already holds an entry named manifest\.json\.$/
  ]
]

test.each(refusals)('refused before anything is written: %s', async (_name, first, second, message) => {
  const writer = newWriter()
  await first(writer)
  const before = writer.bytesWritten
  const error = await second(writer).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(XlrBackupError)
  expect((error as Error).message).toMatch(message)
  expect(writer.bytesWritten).toBe(before)
})
