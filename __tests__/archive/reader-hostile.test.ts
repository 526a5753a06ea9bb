import { randomBytes } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { extractArchive } from '../../src/archive/extract.js'
import type { FileRecord, Manifest } from '../../src/format/manifest.js'
import { verifyArchive } from '../../src/archive/verify.js'
import { openBackupArchive, type ArchiveEntry, type BackupArchive } from '../../src/archive/backup-archive.js'
import { EntryTable } from '../../src/archive/entry-table.js'
import { IntegrityError } from '../../src/shared/errors.js'
import { describeTree, patchBytes, writeBackup, writeZip, type ZipEntrySpec } from '../support/archive-fixtures.js'

let tmp: string
/** A folder beside every destination: no hostile archive may change it. */
let outside: string
let outsideBefore: Record<string, string>
let counter = 0

const base: ZipEntrySpec[] = [
  { name: 'home/', kind: 'directory' },
  { name: 'home/conf/', kind: 'directory' },
  { name: 'home/conf/xl-release.conf', data: 'xl { }\n' }
]

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archive-hostile-'))
  outside = path.join(tmp, 'outside')
  await mkdir(outside)
  await writeFile(path.join(outside, 'precious.txt'), 'do not touch\n')
  outsideBefore = await describeTree(outside)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

function paths(): { zip: string; dest: string } {
  counter++
  return { zip: path.join(tmp, `case-${counter}.zip`), dest: path.join(tmp, `dest-${counter}`) }
}

/** Opening must fail with an IntegrityError matching `message`, before anything exists at `dest`. */
async function expectRefusedAtOpen(zip: string, dest: string, message: RegExp): Promise<void> {
  const attempt = openBackupArchive(zip)
  await expect(attempt).rejects.toThrow(IntegrityError)
  await expect(attempt).rejects.toThrow(message)
  await expect(lstat(dest)).rejects.toThrow(/ENOENT/)
  expect(await describeTree(outside)).toEqual(outsideBefore)
}

describe('unsafe entry names are refused when the archive is opened', () => {
  const cases: [string, string, RegExp][] = [
    ['a parent-folder segment', 'home/../escaped.txt', /unsafe name: the name has a '\.\.' segment/],
    ['a leading parent-folder segment', '../escaped.txt', /'\.\.' segment/],
    ['an absolute path', '/etc/escaped.txt', /unsafe name: the name is an absolute path/],
    ['a drive letter', 'C:/escaped.txt', /starts with a drive letter/],
    ['a Windows path', 'C:\\escaped.txt', /backslash/],
    ['a backslash', 'home\\..\\escaped.txt', /backslash/],
    ['an empty segment', 'home//escaped.txt', /empty segment/]
  ]
  it.each(cases)('%s (%s)', async (_label, name, message) => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name, data: 'evil' }])
    await expectRefusedAtOpen(zip, dest, message)
  })

  it('a NUL byte in a name', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/conf/nulXname', data: 'evil' }])
    await patchBytes(zip, 'home/conf/nulXname', Buffer.from('home/conf/nul\0name'))
    await expectRefusedAtOpen(zip, dest, /NUL character/)
  })

  it('an entry outside home/ and database/', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'elsewhere.txt', data: 'x' }])
    await expectRefusedAtOpen(zip, dest, /elsewhere\.txt is outside home\//)
  })
})

describe('duplicates', () => {
  it('the same name twice', async () => {
    const { zip, dest } = paths()
    const twice: ZipEntrySpec[] = [...base, { name: 'home/conf/xl-release.conf', data: 'evil twin\n' }]
    await writeBackup(zip, twice, { manifestEntries: base })
    await expectRefusedAtOpen(zip, dest, /home\/conf\/xl-release\.conf appears twice/)
  })

  it('a file and a folder of the same path', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/conf/xl-release.conf/', kind: 'directory' }])
    await expectRefusedAtOpen(zip, dest, /name the same path/)
  })

  it('a manifest listing a file twice', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, base, { edit: m => void m.files.push({ ...m.files[2] }) })
    await expectRefusedAtOpen(zip, dest, /lists home\/conf\/xl-release\.conf more than once/)
  })
})

describe('symlinks', () => {
  it('a link climbing out of the home', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/conf/evil', kind: 'symlink', data: '../../../etc' }])
    await expectRefusedAtOpen(
      zip,
      dest,
      /symlink home\/conf\/evil is unsafe: the link target '\.\.\/\.\.\/\.\.\/etc' points outside home\//
    )
  })

  it('an absolute link', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/evil', kind: 'symlink', data: outside }])
    await expectRefusedAtOpen(zip, dest, /home\/evil is unsafe: .* is absolute/)
  })

  it('a chain of links that escapes where each alone looks harmless', async () => {
    const { zip, dest } = paths()
    const chain: ZipEntrySpec[] = [
      ...base,
      { name: 'home/d/', kind: 'directory' },
      { name: 'home/d/up', kind: 'symlink', data: '..' },
      { name: 'home/sneaky', kind: 'symlink', data: 'd/up/../outside' }
    ]
    await writeBackup(zip, chain)
    await expectRefusedAtOpen(zip, dest, /home\/sneaky is unsafe: .*points outside home\//)
  })

  it('a file written through a symlinked folder (zip-slip)', async () => {
    const { zip, dest } = paths()
    const slip: ZipEntrySpec[] = [
      ...base,
      { name: 'home/conf/inner/', kind: 'directory' },
      { name: 'home/conf/link', kind: 'symlink', data: 'inner' },
      { name: 'home/conf/link/planted.txt', data: 'evil' }
    ]
    await writeBackup(zip, slip)
    await expectRefusedAtOpen(zip, dest, /home\/conf\/link\/planted\.txt lies under the symlink home\/conf\/link/)
  })

  it('an entry the manifest calls a file but the archive stores as a link', async () => {
    const { zip, dest } = paths()
    const link: ZipEntrySpec[] = [...base, { name: 'home/conf/x', kind: 'symlink', data: 'xl-release.conf' }]
    await writeBackup(zip, link, {
      manifestEntries: [...base, { name: 'home/conf/x', kind: 'file', data: 'xl-release.conf' }]
    })
    await expectRefusedAtOpen(zip, dest, /home\/conf\/x is a symlink in the archive but a file in the manifest/)
  })
})

describe('archive and manifest disagree', () => {
  it('a size that differs from the manifest', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, base, { edit: m => void (m.files[2].size = 3) })
    await expectRefusedAtOpen(zip, dest, /xl-release\.conf is 7 bytes in the archive but 3 in the manifest/)
  })

  it('a file listed in the manifest but missing from the archive', async () => {
    const { zip, dest } = paths()
    const listed = [...base, { name: 'home/conf/lost.txt', data: 'gone' }]
    await writeBackup(zip, base, { manifestEntries: listed })
    await expectRefusedAtOpen(zip, dest, /manifest lists home\/conf\/lost\.txt, missing from the archive/)
  })

  it('a file in the archive the manifest does not list', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/conf/smuggled.txt', data: 'x' }], { manifestEntries: base })
    await expectRefusedAtOpen(zip, dest, /holds home\/conf\/smuggled\.txt, not listed in the manifest/)
  })
})

describe('foreign, newer, damaged and truncated archives', () => {
  it('a ZIP without manifest.json', async () => {
    const { zip, dest } = paths()
    await writeZip(zip, base)
    await expectRefusedAtOpen(zip, dest, /has no manifest\.json: it is a ZIP file but not an xlr-backup backup/)
  })

  it('a manifest of another tool', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, base, { edit: m => ({ ...m, format: 'other-tool' }) })
    await expectRefusedAtOpen(zip, dest, /not an xlr-backup backup: its manifest\.json has format "other-tool"/)
  })

  it('a manifest that is not JSON', async () => {
    const { zip, dest } = paths()
    await writeZip(zip, [...base, { name: 'manifest.json', data: '{ not json' }])
    await expectRefusedAtOpen(zip, dest, /manifest\.json of .* is not valid JSON/)
  })

  it('a newer format version', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, base, { edit: m => void (m.formatVersion = 99) })
    await expectRefusedAtOpen(
      zip,
      dest,
      /format version 99, newer than this xlr-backup understands \(2\) — restore it with a newer version/
    )
  })

  it('a file that is no ZIP at all, and an encrypted one', async () => {
    const { zip, dest } = paths()
    await writeFile(zip, 'just some text, long enough to look like a file\n'.repeat(10))
    await expectRefusedAtOpen(
      zip,
      dest,
      /not a ZIP file: .* is this an xlr-backup backup\? \(an encrypted \.zip\.age must be decrypted first\)/
    )
    await writeFile(zip, 'age-encryption.org/v1\n-> scrypt abc 18\nxyz\n--- abc\n')
    await expectRefusedAtOpen(zip, dest, /not a ZIP file: .*it is age-encrypted/)
  })

  it('a folder or a missing file instead of a backup', async () => {
    const { dest } = paths()
    await expectRefusedAtOpen(outside, dest, /the backup .*outside is not a file/)
    await expectRefusedAtOpen(path.join(tmp, 'no-such.zip'), dest, /cannot open the backup .*no-such\.zip: ENOENT/)
  })

  it('a truncated archive', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/conf/big.bin', data: Buffer.alloc(50_000, 7) }])
    const { size } = await lstat(zip)
    await truncate(zip, Math.floor(size / 2))
    await expectRefusedAtOpen(
      zip,
      dest,
      /truncated or damaged: it starts like a ZIP but has no end-of-central-directory/
    )
  })
})

describe('damaged contents are caught while reading', () => {
  /** Flips one byte inside the stored data of `name` (the bytes right after its local header). */
  async function flipInEntry(zip: string, name: string, at: number): Promise<void> {
    const data = await readFile(zip)
    const header = data.indexOf(Buffer.from(name)) - 30
    const start = header + 30 + data.readUInt16LE(header + 26) + data.readUInt16LE(header + 28)
    data[start + at] ^= 0x55
    await writeFile(zip, data)
  }

  it('a flipped byte in stored data: verify and extract fail with a CRC error, nothing outside dest', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, [...base, { name: 'home/conf/keys.bin', data: Buffer.alloc(20_000, 1), stored: true }])
    await flipInEntry(zip, 'home/conf/keys.bin', 10_000)
    const archive = await openBackupArchive(zip)
    try {
      await expect(verifyArchive(archive)).rejects.toThrow(
        /entry home\/conf\/keys\.bin: its CRC-32 is [0-9a-f]{8}, the archive declares/
      )
      await expect(verifyArchive(archive, { prefixes: ['home/conf/xl-release.conf'] })).resolves.toMatchObject({
        entries: 1
      })
      await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(IntegrityError)
      expect(await describeTree(outside)).toEqual(outsideBefore)
    } finally {
      await archive.close()
    }
  })

  it('a damaged small entry after hundreds of good ones fails the unpacking, and no file is created for it', async () => {
    const { zip, dest } = paths()
    const many: ZipEntrySpec[] = Array.from({ length: 600 }, (_, i) => ({
      name: `home/conf/f${String(i).padStart(3, '0')}.xml`,
      data: `<item n="${i}">${'x'.repeat(i)}</item>\n`
    }))
    await writeBackup(zip, [...base, ...many])
    await flipInEntry(zip, 'home/conf/f555.xml', 3)
    const archive = await openBackupArchive(zip)
    try {
      // Inflated and checked by a file-creating worker, not by the thread that reads: the failure still names it.
      await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(
        /the backup .* is damaged: entry home\/conf\/f555\.xml: /
      )
      await expect(lstat(path.join(dest, 'conf/f555.xml'))).rejects.toThrow(/ENOENT/)
      expect(await describeTree(outside)).toEqual(outsideBefore)
    } finally {
      await archive.close()
    }
  })

  it('a flipped byte in deflated data of a streamed entry', async () => {
    const { zip, dest } = paths()
    // Hex text deflates to about half: over the 4 MiB single-read limit, so this entry streams.
    const text = randomBytes(5 * 1024 * 1024).toString('hex')
    await writeBackup(zip, [...base, { name: 'home/conf/server.log', data: text }])
    await flipInEntry(zip, 'home/conf/server.log', 100_000)
    const archive = await openBackupArchive(zip)
    try {
      expect(archive.entries.find('home/conf/server.log')?.compressedSize).toBeGreaterThan(4 << 20)
      await expect(verifyArchive(archive)).rejects.toThrow(/entry home\/conf\/server\.log: /)
      await expect(extractArchive(archive, { prefix: 'home/conf/', dest })).rejects.toThrow(IntegrityError)
      expect(await describeTree(outside)).toEqual(outsideBefore)
    } finally {
      await archive.close()
    }
  })

  it('content that disagrees with the manifest hash (CRC intact)', async () => {
    const { zip, dest } = paths()
    const sha = '0'.repeat(64)
    await writeBackup(zip, base, { edit: m => void ((m.files[2] as FileRecord).sha256 = sha) })
    const archive = await openBackupArchive(zip)
    try {
      const expected = new RegExp(`xl-release\\.conf: its SHA-256 is [0-9a-f]{64}, the manifest says ${sha}`)
      await expect(verifyArchive(archive)).rejects.toThrow(expected)
      await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(expected)
    } finally {
      await archive.close()
    }
  })

  it('a manifest whose link target hash lies is refused at open (links are read then)', async () => {
    const { zip, dest } = paths()
    const link: ZipEntrySpec[] = [...base, { name: 'home/current', kind: 'symlink', data: 'conf' }]
    await writeBackup(zip, link, {
      edit: (m: Manifest) => void ((m.files[3] as FileRecord).sha256 = 'f'.repeat(64))
    })
    await expectRefusedAtOpen(zip, dest, /home\/current: its SHA-256 is/)
  })
})

describe('the unpacker defends itself even if a check before it missed something', () => {
  // These archives pass openBackupArchive; the test then doctors the opened entries the way a bug in those checks
  // would let through, and proves extractArchive still writes nothing outside dest and fails loudly.
  const slipBase: ZipEntrySpec[] = [
    ...base,
    { name: 'home/conf/inner/', kind: 'directory' },
    { name: 'home/conf/inner/x.txt', data: 'payload' },
    { name: 'home/conf/link', kind: 'symlink', data: 'inner' }
  ]

  it('a link re-pointed outside is refused before anything is written', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, slipBase)
    const archive = await openBackupArchive(zip)
    try {
      archive.entries.setTarget(archive.entries.indexOf('home/conf/link'), outside)
      await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(
        /symlink home\/conf\/link is unsafe: the link target '.*' is absolute/
      )
      await expect(lstat(dest)).rejects.toThrow(/ENOENT/)
      expect(await describeTree(outside)).toEqual(outsideBefore)
    } finally {
      await archive.close()
    }
  })

  it('a file slipped under a link lands in a real folder, and the link then fails: nothing written through it', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, slipBase)
    const archive = await openBackupArchive(zip)
    try {
      const file = archive.entries.find('home/conf/inner/x.txt') as ArchiveEntry
      // Same bytes (the local header must still match), read under another name on disk: rename via a copy.
      forgeEntries(archive, [
        ...archive.entries,
        { ...file, name: 'home/conf/link/x.txt', path: 'home/conf/link/x.txt' }
      ])
      const readContent = archive.readContent.bind(archive)
      const readSmallSync = archive.readSmallSync.bind(archive)
      const readSmallDataSync = archive.readSmallDataSync.bind(archive)
      Object.assign(archive, {
        readContent: (e: ArchiveEntry, sink: ((c: Buffer) => Promise<void>) | null) =>
          readContent(e.name === 'home/conf/link/x.txt' ? file : e, sink),
        readSmallSync: (e: ArchiveEntry, scratch: Buffer) =>
          readSmallSync(e.name === 'home/conf/link/x.txt' ? file : e, scratch),
        readSmallDataSync: (e: ArchiveEntry, scratch: Buffer) =>
          readSmallDataSync(e.name === 'home/conf/link/x.txt' ? file : e, scratch)
      })
      await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(
        /cannot unpack home\/conf\/link: another entry already took its place on disk \(EEXIST\)/
      )
      expect((await lstat(path.join(dest, 'conf/link'))).isDirectory()).toBe(true)
      expect(await describeTree(outside)).toEqual(outsideBefore)
    } finally {
      await archive.close()
    }
  })

  it('two entries for one path: the second fails instead of overwriting the first', async () => {
    const { zip, dest } = paths()
    await writeBackup(zip, base)
    const archive = await openBackupArchive(zip)
    try {
      const conf = archive.entries.find('home/conf/xl-release.conf') as ArchiveEntry
      forgeEntries(archive, [...archive.entries, { ...conf }])
      await expect(extractArchive(archive, { prefix: 'home/', dest })).rejects.toThrow(
        /cannot unpack home\/conf\/xl-release\.conf: another entry already took its place on disk \(EEXIST\)/
      )
    } finally {
      await archive.close()
    }
  })
})

/** Replaces an opened archive's entries with a list the reader would have refused (the extractor's own checks are tested). */
function forgeEntries(archive: BackupArchive, entries: ArchiveEntry[]): void {
  Object.assign(archive, { entries: EntryTable.of(entries) })
}
