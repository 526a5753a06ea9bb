import { createHash, randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { ZipWriter } from '../../src/archive/zip-writer.js'
import { HashingFileSink } from '../../src/commands/backup/hashing-file-sink.js'
import { sha256File } from '../support/writer-fixtures.js'
import { scratchFolder } from '../support/scratch.js'

describe('HashingFileSink', () => {
  let dir: string
  scratchFolder('xlr-sink-', made => (dir = made))

  test('writes every chunk in order and hashes what it wrote; a write calls back once its bytes are in the file', async () => {
    const file = path.join(dir, 'out.bin')
    const sink = new HashingFileSink(await open(file, 'w'))
    const expected = createHash('sha256')
    const pieces: Buffer[] = []
    for (let i = 0; i < 3000; i++) {
      const piece = randomBytes((i * 7919) % 9000)
      pieces.push(piece)
      expected.update(piece)
      // The caller overwrites its buffer as soon as the callback fires: the file must hold the original bytes.
      const copy = Buffer.from(piece)
      if (!sink.write(copy, () => copy.fill(0))) await new Promise(resolve => sink.once('drain', resolve))
    }
    sink.end()
    await finished(sink)
    expect((await readFile(file)).equals(Buffer.concat(pieces))).toBe(true)
    expect(sink.hex()).toBe(expected.digest('hex'))
    expect(sink.bytes).toBe(pieces.reduce((n, p) => n + p.length, 0))
  })

  test('an archive written with buffer reuse is byte for byte the one written without', async () => {
    const tree = path.join(dir, 'tree')
    const { makeHome } = await import('../../scripts/make-home.js')
    await makeHome(tree, { scale: 0.05 })
    const write = async (reuse: boolean): Promise<string> => {
      const file = path.join(dir, `reuse-${reuse}.zip`)
      const sink = new HashingFileSink(await open(file, 'w'))
      const writer = new ZipWriter(sink, { compressionLevel: 1, threads: 2, reusesBuffersAfterWrite: reuse })
      await writer.addTree(tree, 'home/', { exclude: [] })
      await writer.finish()
      await finished(sink)
      return file
    }
    const reused = await write(true)
    const fresh = await write(false)
    // Times in the archive come from the files, so two runs over one tree give the same bytes.
    expect(await sha256File(reused)).toBe(await sha256File(fresh))
  })
})
