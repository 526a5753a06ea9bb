/**
 * Bounded work on hostile archives: what opening a forged backup may cost is bounded by its entries, before the
 * manifest is parsed. Time is logged, never asserted (the machine is shared); the assertions are on what is refused
 * and on what a deep archive opens to.
 */
import { readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { MAX_MANIFEST_DEPTH, openBackupArchive } from '../../src/archive/backup-archive.js'
import { MAX_ENTRIES } from '../../src/zip/zip-central-directory.js'
import { IntegrityError } from '../../src/shared/errors.js'
import { manifestFor, writeBackup, writeZip, type ZipEntrySpec } from '../support/archive-fixtures.js'
import { scratchFolder } from '../support/scratch.js'

let tmp: string
let n = 0
const zipPath = (): string => path.join(tmp, `case-${++n}.zip`)
const small: ZipEntrySpec[] = [
  { name: 'home/', kind: 'directory' },
  { name: 'home/conf/', kind: 'directory' },
  { name: 'home/conf/xl-release.conf', data: 'xl { }\n' }
]

scratchFolder('xlr-hostile-bounded-', made => (tmp = made))

async function refused(zip: string): Promise<IntegrityError> {
  const error = await openBackupArchive(zip).then(
    a => a.close().then(() => new Error('the archive opened')),
    (e: unknown) => e as Error
  )
  expect(error).toBeInstanceOf(IntegrityError)
  return error as IntegrityError
}

it('refuses a manifest far bigger than its entries need, before inflating it', async () => {
  const zip = zipPath()
  // 6 MB of one exclusion: valid JSON, valid schema but for its size. Deflated, it is a few kB on disk.
  await writeBackup(zip, small, { edit: m => void (m.exclusions = ['x'.repeat(6 * 1024 * 1024)]) })
  const error = await refused(zip)
  expect(error.message).toMatch(/its manifest\.json is \d+ bytes, more than \d+ for its entries/)
  expect(error.message).toMatch(/not made by xlr-backup or was altered: do not restore it/)
})

it('refuses a manifest nested deeper than any real one before JSON.parse builds it', async () => {
  const zip = zipPath()
  // 200,000 levels: JSON.parse would throw a RangeError (stack overflow) on it — an "unexpected error" before.
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`
  const text = JSON.stringify(await manifestFor(small)).replace('"test-host"', deep)
  await writeZip(zip, [...small, { name: 'manifest.json', data: text }])
  const error = await refused(zip)
  expect(error.message).toContain(`its manifest.json nests deeper than ${MAX_MANIFEST_DEPTH} levels`)
})

it('counts brackets inside strings as text, not nesting', async () => {
  const zip = zipPath()
  await writeBackup(zip, small, { edit: m => void (m.host = `${'[{'.repeat(50)}\\"${'['.repeat(50)}`) })
  const archive = await openBackupArchive(zip)
  expect(archive.manifest.host).toBe(`${'[{'.repeat(50)}\\"${'['.repeat(50)}`)
  await archive.close()
})

it('refuses an end record claiming more entries than its central directory holds', async () => {
  const zip = zipPath()
  await writeBackup(zip, small)
  const bytes = await readFile(zip)
  const eocd = bytes.length - 22
  bytes.writeUInt16LE(60_000, eocd + 8)
  bytes.writeUInt16LE(60_000, eocd + 10)
  await writeFile(zip, bytes)
  const error = await refused(zip)
  expect(error.message).toMatch(/claims 60000 entries, more than its \d+-byte central directory holds/)
})

it(`refuses an archive claiming more than ${MAX_ENTRIES} entries`, async () => {
  const zip = zipPath()
  await writeBackup(zip, small, { zip64: true })
  const bytes = await readFile(zip)
  const eocd64 = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]))
  expect(eocd64).toBeGreaterThan(0)
  // The classic end record defers to the ZIP64 one, as a writer of a huge archive leaves it.
  const eocd = bytes.length - 22
  bytes.writeUInt16LE(0xffff, eocd + 8)
  bytes.writeUInt16LE(0xffff, eocd + 10)
  bytes.writeBigUInt64LE(BigInt(MAX_ENTRIES + 1), eocd64 + 24)
  bytes.writeBigUInt64LE(BigInt(MAX_ENTRIES + 1), eocd64 + 32)
  await writeFile(zip, bytes)
  const error = await refused(zip)
  expect(error.message).toContain(
    `it claims ${MAX_ENTRIES + 1} entries, more than the ${MAX_ENTRIES} a backup may hold`
  )
})

describe('1,000 entries 4,000 folders deep', () => {
  const deep = `home/${'d/'.repeat(4000)}`
  const entries: ZipEntrySpec[] = [{ name: 'home/', kind: 'directory' }]
  for (let i = 0; i < 1000; i++) entries.push({ name: `${deep}f${i}`, data: `${i}` })

  it('opens, every entry listed', async () => {
    const zip = zipPath()
    await writeBackup(zip, entries)
    const t0 = Date.now()
    const archive = await openBackupArchive(zip)
    // Logged for the report, not asserted: a shared machine's timing proves nothing.
    console.log(`opened 1,000 entries 4,000 deep in ${((Date.now() - t0) / 1000).toFixed(2)} s`)
    expect(archive.entries).toHaveLength(1001)
    expect(archive.entries.name(1000)).toBe(`${deep}f999`)
    await archive.close()
  })

  it('still refuses an entry under a file that deep', async () => {
    const zip = zipPath()
    await writeBackup(zip, [...entries, { name: `${deep}f7/under`, data: 'x' }])
    const error = await refused(zip)
    expect(error.message).toContain(`the entry ${deep}f7/under lies under the file ${deep}f7`)
  })

  it('opens with 300 of them links whose 4 kB targets walk 2,000 folders further down', async () => {
    const walk = `${'a/'.repeat(2000)}x`.slice(0, 4000)
    const withLinks = entries.map((e, i) =>
      i >= 1 && i <= 300 ? { name: `${deep}l${i}`, kind: 'symlink' as const, data: walk } : e
    )
    const zip = zipPath()
    await writeBackup(zip, withLinks)
    const t0 = Date.now()
    const archive = await openBackupArchive(zip)
    console.log(`opened 1,000 entries 4,000 deep, 300 links, in ${((Date.now() - t0) / 1000).toFixed(2)} s`)
    expect([...archive.entries].filter(e => e.type === 'symlink').map(e => e.target)).toEqual(Array(300).fill(walk))
    await archive.close()
  })

  it('still refuses a link 1,000 folders deep climbing out of the home', async () => {
    // A link text is at most 4 kB: 1,001 '../' is what still fits and leaves a home 1,000 folders deep.
    const name = `home/${'d/'.repeat(1000)}out`
    const zip = zipPath()
    await writeBackup(zip, [...entries, { name, kind: 'symlink', data: `${'../'.repeat(1001)}etc` }])
    const error = await refused(zip)
    expect(error.message).toContain(`the symlink ${name} is unsafe: the link target '../../`)
    expect(error.message).toContain('points outside home/')
  })
})
