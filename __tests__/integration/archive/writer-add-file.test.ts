/** addFile: one file from the disk as a named entry with the given mode, small ones whole and large ones streamed. */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { ZipWriter } from '../../../src/archive/zip-writer.js'
import { Progress } from '../../../src/shared/progress.js'
import { tool, zipListing } from '../../support/writer-fixtures.js'
import { scratchFolder } from '../../support/scratch.js'

let tmp: string
scratchFolder('archive-writer-add-file-', made => (tmp = made))

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

test('small and large files keep their bytes, take the given mode and are left out of the progress', async () => {
  const small = path.join(tmp, 'small.json')
  const large = path.join(tmp, 'large.json')
  const smallData = Buffer.from(JSON.stringify({ files: [1, 2, 3] }))
  // Over the 4 MiB whole-file limit, so it goes through the streamed path: text that deflates, and random runs.
  const largeData = Buffer.concat([Buffer.from('{"path":"home/x","size":1},'.repeat(200_000)), randomBytes(1 << 20)])
  await fsp.writeFile(small, smallData, { mode: 0o644 })
  await fsp.writeFile(large, largeData, { mode: 0o644 })
  const zipPath = path.join(tmp, 'files.zip')
  const out = fs.createWriteStream(zipPath)
  const progress = new Progress('test', null, null)
  const writer = new ZipWriter(out, {
    compressionLevel: 6,
    threads: 2,
    onProgress: (bytes, files) => progress.add(bytes, files)
  })
  const smallRecord = await writer.addFile('a/small.json', small, 0o600)
  const largeRecord = await writer.addFile('manifest.json', large, 0o600)
  await writer.finish()
  if (!out.closed) await once(out, 'close')

  expect(smallRecord).toMatchObject({ path: 'a/small.json', type: 'file', mode: 0o600, size: smallData.length })
  expect(smallRecord.sha256).toBe(sha256(smallData))
  expect(largeRecord).toMatchObject({ path: 'manifest.json', type: 'file', mode: 0o600, size: largeData.length })
  expect(largeRecord.sha256).toBe(sha256(largeData))
  expect(progress.done).toMatchObject({ files: 0, bytes: 0 })

  const listing = await zipListing(zipPath)
  expect(listing.get('a/small.json')).toMatchObject({ kind: '-', perms: '-rw-------' })
  expect(listing.get('manifest.json')).toMatchObject({ kind: '-', perms: '-rw-------' })
  await expect(tool('unzip', ['-tq', zipPath])).resolves.toMatch(/No errors detected/)
  const extracted = path.join(tmp, 'out')
  await tool('unzip', ['-q', zipPath, '-d', extracted])
  expect(sha256(await fsp.readFile(path.join(extracted, 'manifest.json')))).toBe(sha256(largeData))
  expect(await fsp.readFile(path.join(extracted, 'a/small.json'))).toEqual(smallData)
})

test('only a regular file can be added', async () => {
  const writer = new ZipWriter(fs.createWriteStream('/dev/null'), { compressionLevel: 1, threads: 1 })
  await expect(writer.addFile('dir.json', tmp)).rejects.toThrow(/is not a regular file/)
})
