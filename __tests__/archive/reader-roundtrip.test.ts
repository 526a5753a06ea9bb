import { createWriteStream } from 'node:fs'
import { chmod } from 'node:fs/promises'
import * as path from 'node:path'
import { finished } from 'node:stream/promises'
import { makeHome } from '../../scripts/make-home.js'
import { extractArchive } from '../../src/archive/extract.js'
import { MANIFEST_ENTRY, type FileRecord, type Manifest } from '../../src/format/manifest.js'
import { verifyArchive } from '../../src/archive/verify.js'
import { ZipWriter } from '../../src/archive/zip-writer.js'
import { openBackupArchive } from '../../src/archive/backup-archive.js'
import { describeTree, timeMismatches, manifestFor } from '../support/archive-fixtures.js'
import { collectTree } from '../support/writer-fixtures.js'
import { scratchFolder } from '../support/scratch.js'

let tmp: string
scratchFolder('archive-roundtrip-', made => (tmp = made))

/**
 * Archives a generated home with the project's own writer and a manifest listing what it wrote (`extend` adds to
 * that manifest); returns the listed files.
 */
async function archiveHome(
  name: string,
  scale: number,
  writerOptions: { compressionLevel: number; threads: number },
  extend: (files: FileRecord[]) => Partial<Manifest> & { files: FileRecord[] } = files => ({ files })
): Promise<{ home: string; zipPath: string; files: FileRecord[] }> {
  const home = path.join(tmp, `${name}-home`)
  await makeHome(home, { scale })
  const zipPath = path.join(tmp, `${name}.zip`)
  const out = createWriteStream(zipPath)
  const writer = new ZipWriter(out, writerOptions)
  const manifest = { ...(await manifestFor([])), ...extend(await collectTree(writer, home, 'home/')) }
  await writer.addBuffer(MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest)))
  await writer.finish()
  await finished(out)
  return { home, zipPath, files: manifest.files }
}

test("the reader restores exactly what the project's own writer archived", async () => {
  const { home, zipPath, files } = await archiveHome('backup', 0.005, { compressionLevel: 6, threads: 2 })

  const archive = await openBackupArchive(zipPath)
  try {
    expect([...archive.entries].map(e => e.name)).toEqual(files.map(f => f.path))
    expect([...archive.entries].some(e => e.type === 'symlink')).toBe(true)
    const verified = await verifyArchive(archive)
    expect(verified.entries).toBe(files.length)
    const dest = path.join(tmp, 'restored')
    await extractArchive(archive, { prefix: 'home/', dest })
    expect(await describeTree(dest, { times: false })).toEqual(await describeTree(home, { times: false }))
    expect(await timeMismatches(home, dest)).toEqual([])
    await chmod(dest, 0o700)
  } finally {
    await archive.close()
  }
})

test("an opened archive keeps one record per entry: the manifest's files are its entries, with every recorded field", async () => {
  const owners = [{ uid: 0, gid: 0, user: 'root', group: 'root' }]
  const { zipPath, files } = await archiveHome('one-record', 0.002, { compressionLevel: 1, threads: 1 }, listed => ({
    formatVersion: 2,
    owners,
    files: listed.map(f => ({ ...f, owner: 0 }))
  }))

  const archive = await openBackupArchive(zipPath)
  try {
    // The parsed manifest's own records are not kept beside the entries (memory grows with the file count).
    expect(archive.manifest.files).toBe(archive.entries)
    const byPath = new Map(files.map(f => [f.path, f]))
    for (const entry of archive.entries) {
      const recorded = byPath.get(entry.path)!
      expect(entry.name).toBe(entry.path)
      expect({
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        mtime: entry.mtime,
        size: entry.size,
        sha256: entry.sha256 ?? undefined,
        target: entry.target,
        owner: entry.owner
      }).toEqual({ target: undefined, sha256: undefined, ...recorded })
    }
  } finally {
    await archive.close()
  }
})
