import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import { ZipWriter } from '../../../src/archive/zip-writer.js'
import { XlrBackupError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { Progress } from '../../../src/shared/progress.js'
import { collectTree, restorable, tool } from '../../support/writer-fixtures.js'
import { scratchFolder } from '../../support/scratch.js'

let tmp: string
let home: string

scratchFolder('archive-writer-stream-', made => (tmp = made))
beforeAll(async () => {
  home = path.join(tmp, 'home')
  await fsp.mkdir(path.join(home, 'lib'), { recursive: true })
  await fsp.mkdir(path.join(home, 'log'), { recursive: true })
  for (let i = 0; i < 20; i++) await fsp.writeFile(path.join(home, `lib/j${i}.jar`), randomBytes(700 * 1024))
  await fsp.writeFile(path.join(home, 'log/big.log'), 'some log text that deflates well\n'.repeat(300_000))
  await fsp.writeFile(path.join(home, 'log/small.txt'), 'small\n')
})

/** A destination that takes one chunk every few milliseconds and records how much was ever queued in it. */
class SlowSink extends Writable {
  readonly chunks: Buffer[] = []
  maxQueued = 0
  constructor() {
    super({ highWaterMark: 64 * 1024 })
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.maxQueued = Math.max(this.maxQueued, this.writableLength)
    this.chunks.push(chunk)
    setTimeout(done, 3)
  }
}

test('a slow destination is respected: the writer waits for drain instead of queueing the archive in memory', async () => {
  const sink = new SlowSink()
  const progress = new Progress('backup', null, null)
  const writer = new ZipWriter(sink, {
    compressionLevel: 6,
    threads: 2,
    onProgress: (bytes, files) => progress.add(bytes, files)
  })
  const records = await collectTree(writer, home, 'home/')
  const { bytesWritten } = await writer.finish()
  const data = Buffer.concat(sink.chunks)
  expect(data.length).toBe(bytesWritten)
  expect(bytesWritten).toBeGreaterThan(13 * 1024 * 1024)
  // Never more than one write batch (~1 MiB) or one file piece queued in the sink, though 13+ MiB went through it.
  expect(sink.maxQueued).toBeLessThanOrEqual(2 * 1024 * 1024)
  // Links count as files, as the backup summary counts them.
  expect(progress.done.files).toBe(records.filter(r => r.type !== 'directory').length)
  expect(progress.done.bytes).toBe(records.reduce((n, r) => n + (r.type === 'file' ? r.size : 0), 0))
  const zipPath = path.join(tmp, 'slow.zip')
  await fsp.writeFile(zipPath, data)
  const out = path.join(tmp, 'slow-out')
  await tool('unzip', ['-q', zipPath, '-d', out])
  expect(await restorable(path.join(out, 'home'))).toEqual(await restorable(home))
}, 60_000)

test('a failing destination rejects addTree with its error and nothing more is written', async () => {
  let writes = 0
  const failing = new Writable({
    write(_chunk, _enc, done) {
      writes++
      done(writes === 3 ? new Error('disk full (simulated)') : null)
    }
  })
  failing.on('error', () => undefined)
  const writer = new ZipWriter(failing, { compressionLevel: 6, threads: 2 })
  await expect(writer.addTree(home, 'home/', { exclude: [] })).rejects.toThrow('disk full (simulated)')
  const seen = writes
  await new Promise(resolve => setTimeout(resolve, 100))
  expect(writes).toBe(seen)
  await expect(writer.addBuffer('manifest.json', Buffer.from('{}'))).rejects.toThrow('disk full (simulated)')
  await expect(writer.finish()).rejects.toThrow('disk full (simulated)')
})

test('a file that cannot be read fails the archive with an error naming it', async () => {
  const dir = path.join(tmp, 'unreadable')
  await fsp.mkdir(dir)
  await fsp.writeFile(path.join(dir, 'ok.txt'), 'fine\n')
  // Mode 000 makes the read fail for anyone but root.
  await fsp.writeFile(path.join(dir, 'secret.txt'), 'no\n', { mode: 0 })
  await fsp.chmod(path.join(dir, 'secret.txt'), 0)
  const canRead = (() => {
    try {
      fs.readFileSync(path.join(dir, 'secret.txt'))
      return true
    } catch {
      return false
    }
  })()
  const writer = new ZipWriter(new Writable({ write: (_c, _e, done) => done() }), { compressionLevel: 6, threads: 1 })
  if (canRead) {
    // Root reads anything: the archive then simply succeeds.
    await expect(writer.addTree(dir, 'home/', { exclude: [] })).resolves.toBe(3)
    return
  }
  const error = await writer.addTree(dir, 'home/', { exclude: [] }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(XlrBackupError)
  expect((error as Error).message).toContain(path.join(dir, 'secret.txt'))
})

test('sockets and FIFOs are skipped with a warning, not read (reading a FIFO would hang)', async () => {
  const dir = path.join(tmp, 'special')
  await fsp.mkdir(dir)
  await fsp.writeFile(path.join(dir, 'a.txt'), 'a\n')
  await tool('mkfifo', [path.join(dir, 'pipe')])
  const logger = new MemoryLogger()
  const writer = new ZipWriter(new Writable({ write: (_c, _e, done) => done() }), {
    compressionLevel: 6,
    threads: 1,
    logger
  })
  const records = await collectTree(writer, dir, 'x/')
  await writer.finish()
  expect(records.map(r => r.path)).toEqual(['x/', 'x/a.txt'])
  expect(logger.messages('warning').join('\n')).toMatch(/pipe.*FIFO/)
})

test('bad options and misuse are clear errors', async () => {
  const sink = new Writable({ write: (_c, _e, done) => done() })
  expect(() => new ZipWriter(sink, { compressionLevel: 10, threads: 1 })).toThrow(/0 to 9/)
  const writer = new ZipWriter(sink, { compressionLevel: 0, threads: 1 })
  await writer.addBuffer('manifest.json', Buffer.from('{}'))
  await expect(writer.addBuffer('manifest.json', Buffer.from('{}'))).rejects.toThrow(/already holds an entry/)
  const other = new ZipWriter(new Writable({ write: (_c, _e, done) => done() }), { compressionLevel: 0, threads: 1 })
  await expect(other.addTree(path.join(tmp, 'missing'), 'home/', { exclude: [] })).rejects.toThrow(/missing/)
})

test('compression level 0 stores everything', async () => {
  const zipPath = path.join(tmp, 'stored.zip')
  const out = fs.createWriteStream(zipPath)
  const writer = new ZipWriter(out, { compressionLevel: 0, threads: 2 })
  await writer.addTree(home, 'home/', { exclude: [] })
  await writer.finish()
  const listing = await tool('zipinfo', [zipPath])
  expect(listing).not.toMatch(/ def[NXFS] /)
  expect(listing).toMatch(/ stor .*home\/log\/big\.log/)
  await expect(tool('unzip', ['-tq', zipPath])).resolves.toMatch(/No errors detected/)
})
