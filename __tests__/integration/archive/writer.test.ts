import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import yauzl from 'yauzl'
import { makeHome } from '../../../scripts/make-home.js'
import type { FileRecord } from '../../../src/format/manifest.js'
import { snapshot, tool, zipListing, zipTree } from '../../support/writer-fixtures.js'

let tmp: string
let home: string
let zipPath: string
let records: FileRecord[]
let progressFiles = 0
let outside: string

const OLD = new Date('2019-02-03T04:05:06Z')

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'archive-writer-'))
  home = path.join(tmp, 'home')
  outside = path.join(tmp, 'outside-secret.txt')
  await fsp.writeFile(outside, 'must never be read through a link\n')
  await makeHome(home, { scale: 0.005 })
  // What a generated home lacks: streamed files (over 4 MiB), odd modes, names and links.
  const parts: Buffer[] = []
  for (let i = 0; i < 24; i++) {
    parts.push(
      i % 3 === 1
        ? randomBytes(300 * 1024)
        : Buffer.from(`row ${i} <task id="t${i}" status="COMPLETED">release text</task>\n`.repeat(5000))
    )
  }
  await fsp.writeFile(path.join(home, 'repository/big-mixed.db'), Buffer.concat(parts))
  await fsp.writeFile(path.join(home, 'lib/big-stored.jar'), randomBytes(5 * 1024 * 1024 + 3))
  await fsp.writeFile(path.join(home, 'conf/secret.key'), 'top secret\n', { mode: 0o600 })
  await fsp.chmod(path.join(home, 'conf/secret.key'), 0o600)
  await fsp.mkdir(path.join(home, 'ext/private'), { mode: 0o750 })
  await fsp.chmod(path.join(home, 'ext/private'), 0o750)
  await fsp.writeFile(path.join(home, 'ext/private/résumé ✓ 日本.txt'), 'unicode name\n')
  await fsp.writeFile(path.join(home, 'ext/empty-file.txt'), '')
  await fsp.mkdir(path.join(home, 'ext/empty/nested'), { recursive: true })
  await fsp.symlink(outside, path.join(home, 'conf/outside-link'))
  await fsp.symlink('../../../../etc/passwd', path.join(home, 'ext/escape-link'))
  await fsp.symlink('no-such-target', path.join(home, 'ext/dangling'))
  await fsp.utimes(path.join(home, 'conf/secret.key'), OLD, OLD)
  await fsp.utimes(path.join(home, 'ext/empty/nested'), OLD, OLD)
  zipPath = path.join(tmp, 'backup.zip')
  ;({ records } = await zipTree(home, zipPath, {
    compressionLevel: 6,
    threads: 2,
    onProgress: (_bytes, files) => (progressFiles += files)
  }))
}, 120_000)

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true })
})

test('unzip restores the tree exactly: contents, modes, links, empty folders, mtimes', async () => {
  const out = path.join(tmp, 'unzipped')
  await tool('unzip', ['-q', zipPath, '-d', out])
  const original = await snapshot(home)
  const restored = await snapshot(path.join(out, 'home'))
  expect([...restored.keys()]).toEqual([...original.keys()])
  for (const [rel, item] of original) {
    const got = restored.get(rel)!
    // unzip does not set times on links themselves.
    if (item.type === 'symlink') expect({ ...got, mtime: 0 }).toEqual({ ...item, mtime: 0 })
    else expect({ rel, ...got }).toEqual({ rel, ...item })
  }
  expect(original.get('ext/empty/nested')).toMatchObject({ type: 'directory', mtime: OLD.getTime() / 1000 })
  expect(original.get('conf/secret.key')?.mode).toBe(0o600)
  expect(original.get('bin/run.sh')?.mode).toBe(0o755)
  expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true)
})

test('links are stored as links, never followed, even when they point outside the home', async () => {
  const listing = await zipListing(zipPath)
  expect(listing.get('home/conf/outside-link')?.kind).toBe('l')
  expect(listing.get('home/ext/escape-link')?.kind).toBe('l')
  expect(listing.get('home/ext/dangling')?.kind).toBe('l')
  const link = records.find(r => r.path === 'home/conf/outside-link')!
  expect(link).toMatchObject({ type: 'symlink', target: outside, size: Buffer.byteLength(outside) })
  expect(link.sha256).toBe(createHash('sha256').update(outside).digest('hex'))
  const content = await tool('unzip', ['-p', zipPath, 'home/conf/outside-link'])
  expect(content).toBe(outside)
  expect(content).not.toContain('must never be read')
})

test('progress counts every file and link of the tree once, as the backup summary does', () => {
  const filesAndLinks = records.filter(r => r.path.startsWith('home/') && r.type !== 'directory')
  expect(filesAndLinks.some(r => r.type === 'symlink')).toBe(true)
  expect(progressFiles).toBe(filesAndLinks.length)
})

test('every record matches the file on disk, and the records list every zip entry', async () => {
  const listing = await zipListing(zipPath)
  expect(new Set(records.map(r => r.path))).toEqual(new Set(listing.keys()))
  let files = 0
  for (const r of records) {
    if (r.path === 'manifest.json') continue
    const abs = path.join(home, r.path.slice('home/'.length))
    const st = await fsp.lstat(abs)
    expect(r.mode).toBe(st.mode & 0o7777)
    expect(r.mtime).toBe(st.mtimeMs)
    if (r.type === 'file') {
      const data = await fsp.readFile(abs)
      expect({ path: r.path, size: r.size, sha256: r.sha256 }).toEqual({
        path: r.path,
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex')
      })
      files++
    } else if (r.type === 'directory') {
      expect(st.isDirectory()).toBe(true)
      expect(r.path.endsWith('/')).toBe(true)
      expect(r.sha256).toBeUndefined()
    }
  }
  expect(files).toBeGreaterThan(100)
  expect(records.find(r => r.path === 'home/')).toMatchObject({ type: 'directory' })
})

test('already-compressed files are stored, text is deflated, and unzip -t accepts every entry', async () => {
  const listing = await zipListing(zipPath)
  expect(listing.get('home/lib/xlr-server-24.1.3.jar')?.method).toBe('stor')
  expect(listing.get('home/lib/big-stored.jar')?.method).toBe('stor')
  expect(listing.get('home/log/xl-release-2024-05-13.log.gz')?.method).toBe('stor')
  expect(listing.get('home/conf/xl-release.conf')?.method).toMatch(/^def/)
  expect(listing.get('home/repository/big-mixed.db')?.method).toMatch(/^def/)
  expect(listing.get('home/ext/private/résumé ✓ 日本.txt')).toBeDefined()
  await expect(tool('unzip', ['-tq', zipPath])).resolves.toMatch(/No errors detected/)
  // The mixed file was streamed (over 4 MiB): its text pages deflated, its random pages stored, so it packs to
  // about the random third of it.
  const big = (await fsp.stat(path.join(home, 'repository/big-mixed.db'))).size
  const info = await tool('zipinfo', ['-v', zipPath, 'home/repository/big-mixed.db'])
  const packed = Number(/compressed size:\s+(\d+) bytes/.exec(info)![1])
  expect(big).toBeGreaterThan(4 * 1024 * 1024)
  expect(packed).toBeLessThan(big * 0.45)
  expect(packed).toBeGreaterThan(big * 0.25)
  expect(info).toMatch(/extended local header:\s+yes/)
})

test('yauzl (the reader side) opens the archive and its contents hash as recorded', async () => {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, decodeStrings: true }, (e, z) => (e ? reject(e) : resolve(z)))
  )
  const bySha = new Map(records.map(r => [r.path, r.sha256]))
  let checked = 0
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject)
    zip.on('end', () => resolve())
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/')) return zip.readEntry()
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err)
        const hash = createHash('sha256')
        stream.on('data', (c: Buffer) => hash.update(c))
        stream.on('error', reject)
        stream.on('end', () => {
          expect([entry.fileName, hash.digest('hex')]).toEqual([entry.fileName, bySha.get(entry.fileName)])
          checked++
          zip.readEntry()
        })
      })
    })
    zip.readEntry()
  })
  zip.close()
  expect(checked).toBe(records.filter(r => r.type !== 'directory').length)
})
