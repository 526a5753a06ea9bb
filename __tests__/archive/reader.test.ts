import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import { extractArchive } from '../../src/archive/extract.js'
import { verifyArchive } from '../../src/archive/verify.js'
import { openBackupArchive, type BackupArchive } from '../../src/archive/backup-archive.js'
import { RestoreError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { Progress } from '../../src/shared/progress.js'
import {
  describeTree,
  timeMismatches,
  entriesFromFolder,
  writeBackup,
  type ZipEntrySpec,
  pgDumpRecord,
  sha256
} from '../support/archive-fixtures.js'

let tmp: string
let home: string
let zipPath: string
let dump: Buffer
let archive: BackupArchive

/** A small home with everything restore must bring back: modes, links, empty and read-only folders, big files. */
async function makeHome(root: string): Promise<void> {
  await mkdir(path.join(root, 'conf'), { recursive: true })
  await writeFile(path.join(root, 'conf/xl-release.conf'), 'xl { server { http { port = 5516 } } }\n')
  await writeFile(path.join(root, 'conf/secret.jceks'), randomBytes(3000), { mode: 0o600 })
  await chmod(path.join(root, 'conf/secret.jceks'), 0o600)
  await mkdir(path.join(root, 'bin'))
  await writeFile(path.join(root, 'bin/run.sh'), '#!/bin/sh\necho hi\n')
  await chmod(path.join(root, 'bin/run.sh'), 0o750)
  await mkdir(path.join(root, 'repository/empty/nested'), { recursive: true })
  await mkdir(path.join(root, 'lib'))
  // Over the 4 MiB single-read limit: one compressible (deflated, streamed), one random (stored, streamed).
  await writeFile(path.join(root, 'lib/big.log'), 'log line with some text 0123456789\n'.repeat(200_000))
  await writeFile(path.join(root, 'lib/blob.jar'), randomBytes(5 * 1024 * 1024 + 17))
  await writeFile(path.join(root, 'lib/empty.txt'), '')
  await mkdir(path.join(root, 'readonly'))
  await writeFile(path.join(root, 'readonly/frozen.txt'), 'cannot change me\n')
  await chmod(path.join(root, 'readonly/frozen.txt'), 0o444)
  await symlink('conf/xl-release.conf', path.join(root, 'current.conf'))
  await symlink('../lib', path.join(root, 'bin/lib-link'))
  await symlink('does-not-exist-yet', path.join(root, 'dangling'))
  const old = new Date('2021-03-04T05:06:07.891Z')
  for (const p of [
    'conf/xl-release.conf',
    'bin/run.sh',
    'lib/big.log',
    'repository/empty/nested',
    'repository/empty'
  ]) {
    await utimes(path.join(root, p), old, old)
  }
  await chmod(path.join(root, 'readonly'), 0o555)
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archive-reader-'))
  home = path.join(tmp, 'home-src')
  await makeHome(home)
  dump = randomBytes(100_000)
  const entries: ZipEntrySpec[] = [
    ...(await entriesFromFolder(home)),
    { name: 'database/', kind: 'directory' },
    { name: 'database/repository/', kind: 'directory' },
    { name: 'database/repository/dump.pgdump', data: dump, stored: true }
  ]
  zipPath = path.join(tmp, 'backup.zip')
  await writeBackup(zipPath, entries, {
    edit: m => {
      m.databases = [pgDumpRecord(['repository'], 'database/repository/', { bytes: dump.length, sha256: sha256(dump) })]
    }
  })
  archive = await openBackupArchive(zipPath)
})

afterAll(async () => {
  await archive?.close()
  await chmod(path.join(home, 'readonly'), 0o755).catch(() => undefined)
  await rm(tmp, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined)
})

describe('openBackupArchive', () => {
  it('lists every entry with the manifest metadata, link targets read', () => {
    expect(archive.manifest.format).toBe('xlr-backup')
    const byName = new Map([...archive.entries].map(e => [e.name, e]))
    expect(byName.get('home/bin/run.sh')).toMatchObject({ type: 'file', mode: 0o750 })
    expect(byName.get('home/repository/empty/nested/')).toMatchObject({ type: 'directory', size: 0 })
    expect(byName.get('home/current.conf')).toMatchObject({ type: 'symlink', target: 'conf/xl-release.conf' })
    expect(byName.get('home/lib/blob.jar')).toMatchObject({ size: 5 * 1024 * 1024 + 17, method: 8 })
    expect(byName.has('manifest.json')).toBe(false)
  })
})

describe('verifyArchive', () => {
  it('reads and checks every entry, and only the prefixes asked for', async () => {
    const logger = new MemoryLogger()
    const progress = new Progress('verify', null, logger, 0)
    const all = await verifyArchive(archive, { progress, threads: 3 })
    expect(all.entries).toBe(archive.entries.length)
    const contentBytes = [...archive.entries].reduce((n, e) => n + e.size, 0)
    expect(all.bytes).toBe(contentBytes)
    expect(progress.done.bytes).toBe(contentBytes)
    expect(logger.messages('info').length).toBeGreaterThan(0)
    const db = await verifyArchive(archive, { prefixes: ['database/'] })
    expect(db).toMatchObject({ entries: 3, bytes: dump.length })
  })
})

describe('extractArchive', () => {
  it('restores the whole home: contents, modes, links, empty folders and times', async () => {
    const dest = path.join(tmp, 'restored-home')
    const report = await extractArchive(archive, { prefix: 'home/', dest, threads: 4 })
    try {
      expect(await describeTree(dest, { times: false })).toEqual(await describeTree(home, { times: false }))
      expect(await timeMismatches(home, dest)).toEqual([])
      expect(report).toMatchObject({ symlinks: 3 })
      expect(report.files).toBe(
        [...archive.entries].filter(e => e.name.startsWith('home/') && e.type === 'file').length
      )
      // The home folder's own mode (and time, checked above as '.') come from the 'home/' entry.
      const [src, out] = await Promise.all([lstat(home), lstat(dest)])
      expect(out.mode & 0o7777).toBe(src.mode & 0o7777)
    } finally {
      await chmod(path.join(dest, 'readonly'), 0o755).catch(() => undefined)
    }
  })

  it('restores one component by prefix into a folder of its own', async () => {
    const dest = path.join(tmp, 'conf-only')
    await extractArchive(archive, { prefix: 'home/conf/', dest })
    const tree = await describeTree(dest)
    expect(Object.keys(tree).sort()).toEqual(['secret.jceks', 'xl-release.conf'])
    expect(tree['secret.jceks']).toMatch(/^file 600 /)
    expect(await timeMismatches(path.join(home, 'conf'), dest)).toEqual([])
    expect(await readFile(path.join(dest, 'xl-release.conf'), 'utf8')).toContain('port = 5516')
  })

  it('restores a database dump by its prefix', async () => {
    const dest = path.join(tmp, 'db-repository')
    const report = await extractArchive(archive, { prefix: 'database/repository/', dest })
    expect(report).toMatchObject({ files: 1, bytes: dump.length })
    expect((await readFile(path.join(dest, 'dump.pgdump'))).equals(dump)).toBe(true)
  })

  it('unpacks into an existing empty folder, and keeps links as links', async () => {
    const dest = path.join(tmp, 'empty-existing')
    await mkdir(dest)
    try {
      await extractArchive(archive, { prefix: 'home/', dest })
      expect(await readlink(path.join(dest, 'bin/lib-link'))).toBe('../lib')
      expect((await lstat(path.join(dest, 'dangling'))).isSymbolicLink()).toBe(true)
    } finally {
      await chmod(path.join(dest, 'readonly'), 0o755).catch(() => undefined)
    }
  })

  it('refuses a destination that is not empty, and changes nothing there', async () => {
    const dest = path.join(tmp, 'not-empty')
    await mkdir(dest)
    await writeFile(path.join(dest, 'keep.txt'), 'mine')
    const before = await describeTree(dest)
    await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(RestoreError)
    await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(/not empty/)
    expect(await describeTree(dest)).toEqual(before)
  })

  it('refuses a link that leaves the component being unpacked', async () => {
    // home/bin/lib-link -> ../lib is fine inside home/, but would point outside a folder holding only bin/.
    const dest = path.join(tmp, 'bin-only')
    await expect(extractArchive(archive, { prefix: 'home/bin/', dest })).rejects.toThrow(
      /lib-link.*points outside home\/bin\//
    )
    await expect(lstat(dest)).rejects.toThrow(/ENOENT/)
  })
})

describe('ZIP64', () => {
  it('reads ZIP64 sizes, offsets and end records (as a backup over 4 GiB or 65535 entries has them)', async () => {
    const zip = path.join(tmp, 'zip64.zip')
    const entries: ZipEntrySpec[] = [
      { name: 'home/', kind: 'directory' },
      { name: 'home/conf/', kind: 'directory' },
      { name: 'home/conf/a.txt', data: 'alpha\n'.repeat(1000) },
      { name: 'home/conf/b.bin', data: Buffer.alloc(70_000, 9), stored: true },
      { name: 'home/link', kind: 'symlink', data: 'conf/a.txt' }
    ]
    await writeBackup(zip, entries, { zip64: true })
    const bytes = await readFile(zip)
    expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true)
    // Python fills the classic end record when the values fit; a writer may always defer to the ZIP64 one instead.
    const eocd = bytes.length - 22
    bytes.writeUInt16LE(0xffff, eocd + 8)
    bytes.writeUInt16LE(0xffff, eocd + 10)
    bytes.writeUInt32LE(0xffffffff, eocd + 12)
    bytes.writeUInt32LE(0xffffffff, eocd + 16)
    await writeFile(zip, bytes)
    const big = await openBackupArchive(zip)
    try {
      expect(big.entries.find('home/conf/b.bin')).toMatchObject({
        size: 70_000,
        compressedSize: 70_000
      })
      expect(big.entries.find('home/conf/b.bin')?.localHeaderOffset).toBeGreaterThan(0)
      await expect(verifyArchive(big)).resolves.toMatchObject({ entries: entries.length })
      const dest = path.join(tmp, 'zip64-out')
      await extractArchive(big, { prefix: 'home/', dest })
      expect(await readFile(path.join(dest, 'conf/a.txt'), 'utf8')).toBe('alpha\n'.repeat(1000))
      expect(await readlink(path.join(dest, 'link'))).toBe('conf/a.txt')
    } finally {
      await big.close()
    }
  })
})
