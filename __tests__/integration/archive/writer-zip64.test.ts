import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import yauzl from 'yauzl'
import { restorable, tool, zipTree } from '../../support/writer-fixtures.js'
import { scratchFolder } from '../../support/scratch.js'

let tmp: string
scratchFolder('archive-writer-zip64-', made => (tmp = made))

function entryCount(zipPath: string): Promise<number> {
  return new Promise((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true }, (e, z) => {
      if (e) return reject(e)
      resolve(z.entryCount)
      z.close()
    })
  )
}

/** Bytes of the end records: the ZIP64 end record (PK\x06\x06) and its locator (PK\x06\x07) must be there. */
function hasZip64End(zipPath: string): boolean {
  const size = fs.statSync(zipPath).size
  const fd = fs.openSync(zipPath, 'r')
  const tail = Buffer.alloc(Math.min(size, 200))
  fs.readSync(fd, tail, 0, tail.length, size - tail.length)
  fs.closeSync(fd)
  return tail.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])) && tail.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))
}

test('more than 65 535 entries: ZIP64 end records, and unzip and yauzl see every entry', async () => {
  const home = path.join(tmp, 'many')
  const perDir = 1000
  for (let d = 0; d < 66; d++) {
    const dir = path.join(home, `d${d}`)
    fs.mkdirSync(dir, { recursive: true })
    for (let i = 0; i < perDir; i++) fs.writeFileSync(path.join(dir, `f${i}`), '')
  }
  const zipPath = path.join(tmp, 'many.zip')
  const { records } = await zipTree(home, zipPath, { compressionLevel: 6 })
  const expected = 1 + 66 + 66 * perDir + 1 // home/, folders, files, manifest
  expect(records).toHaveLength(expected)
  expect(hasZip64End(zipPath)).toBe(true)
  await expect(tool('unzip', ['-tq', zipPath])).resolves.toMatch(/No errors detected/)
  expect(await entryCount(zipPath)).toBe(expected)
}, 120_000)

test('sizes and offsets beyond the (lowered) 32-bit limit use ZIP64 fields that unzip and yauzl read', async () => {
  const home = path.join(tmp, 'offsets')
  await fsp.mkdir(path.join(home, 'a'), { recursive: true })
  await fsp.writeFile(path.join(home, 'a/small.txt'), 'hello\n')
  await fsp.writeFile(path.join(home, 'a/text.log'), 'a line of log text\n'.repeat(400_000)) // 7.6 MB: streamed
  await fsp.writeFile(path.join(home, 'a/medium.xml'), '<x/>\n'.repeat(100_000))
  await fsp.symlink('small.txt', path.join(home, 'a/link'))
  const zipPath = path.join(tmp, 'offsets.zip')
  await zipTree(home, zipPath, { compressionLevel: 6, zip64Limit: 1000, zip64EntryLimit: 3 })
  expect(hasZip64End(zipPath)).toBe(true)
  const info = await tool('zipinfo', ['-v', zipPath])
  expect(info).toMatch(/ZIP64|Zip64|zip64/)
  await expect(tool('unzip', ['-tq', zipPath])).resolves.toMatch(/No errors detected/)
  const out = path.join(tmp, 'offsets-out')
  await tool('unzip', ['-q', zipPath, '-d', out])
  expect(await restorable(path.join(out, 'home'))).toEqual(await restorable(home))
  expect(await entryCount(zipPath)).toBe(7)
}, 60_000)
