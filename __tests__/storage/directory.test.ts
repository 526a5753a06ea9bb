import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile, appendFile, lstat, symlink } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError, IntegrityError, StorageError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import type { StorageSettings } from '../../src/settings/settings.js'
import { createStorage, DirectoryStorage, type BackupStorage } from '../../src/storage/index.js'
import { sha256File as sha256Of } from '../support/hash.js'
import { storageSettings } from '../support/storage-fixtures.js'
import { scratchFolder } from '../support/scratch.js'

let tmp: string
const logger = new MemoryLogger()

function settings(folder: string): StorageSettings {
  return storageSettings('directory', { path: folder })
}

async function backup(store: BackupStorage, name: string, size = 2048): Promise<string> {
  const staged = await store.stagingPath(name)
  const data = randomBytes(size)
  await writeFile(staged, data)
  await store.publish(staged, name, logger)
  return createHash('sha256').update(data).digest('hex')
}

scratchFolder('storage-directory-', made => (tmp = made))

describe('directory storage', () => {
  test('round trip: staged owner-only beside the backups, published with a sha256 sidecar, fetched byte for byte', async () => {
    const folder = path.join(tmp, 'nas', 'backups') // created on first use
    const store = await createStorage(settings(folder), logger)
    const staged = await store.stagingPath('xlr-backup-a.zip')
    expect(path.dirname(staged)).toBe(folder)
    expect(path.basename(staged)).toMatch(/^\.xlr-backup-a\.zip\.partial-\d+\.\d+\.[0-9a-f]{8}-[0-9a-f]{12}$/)
    expect((await stat(staged)).mode & 0o777).toBe(0o600)
    const data = randomBytes(3 * 1024 * 1024 + 5)
    await writeFile(staged, data)
    const published = await store.publish(staged, 'xlr-backup-a.zip', logger)
    const sha256 = createHash('sha256').update(data).digest('hex')
    expect(published).toEqual({
      name: 'xlr-backup-a.zip',
      location: path.join(folder, 'xlr-backup-a.zip'),
      size: data.length,
      sha256
    })
    expect((await readdir(folder)).sort()).toEqual(['xlr-backup-a.zip', 'xlr-backup-a.zip.sha256'])
    expect(await readFile(path.join(folder, 'xlr-backup-a.zip.sha256'), 'utf8')).toBe(`${sha256}  xlr-backup-a.zip\n`)
    expect((await stat(path.join(folder, 'xlr-backup-a.zip'))).mode & 0o777).toBe(0o600)

    const found = await store.find({ name: 'xlr-backup-a' }, logger)
    expect(found).toMatchObject({ name: 'xlr-backup-a.zip', sha256, size: data.length })
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const file = await store.fetch(found, dest, logger)
    // Checked in place, not copied: restore only reads it.
    expect(file).toBe(path.join(folder, 'xlr-backup-a.zip'))
    expect(await readdir(dest)).toEqual([])
    expect(await sha256Of(file)).toBe(sha256)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    // The stored backup is untouched and still there.
    expect(await sha256Of(path.join(folder, 'xlr-backup-a.zip'))).toBe(sha256)
  })

  test('never overwrites a backup of the same name; the staged file is left for discard', async () => {
    const folder = await mkdtemp(path.join(tmp, 'dup-'))
    const store = await createStorage(settings(folder), logger)
    const first = await backup(store, 'same.zip')
    const staged = await store.stagingPath('same.zip')
    await writeFile(staged, 'other bytes')
    await expect(store.publish(staged, 'same.zip', logger)).rejects.toThrow(
      /same\.zip already exists and is never overwritten/
    )
    await store.discard(staged)
    await store.discard(staged) // already gone: no error
    expect(await sha256Of(path.join(folder, 'same.zip'))).toBe(first)
    expect((await readdir(folder)).sort()).toEqual(['same.zip', 'same.zip.sha256'])
  })

  test('newest by prefix: most recently stored wins, partial and sidecar files are never candidates', async () => {
    const folder = await mkdtemp(path.join(tmp, 'prefix-'))
    const store = await createStorage(settings(folder), logger)
    const sums: Record<string, string> = {}
    for (const name of ['xlr-backup-prod-a-1.zip', 'xlr-backup-prod-b-1.zip', 'xlr-backup-prod-a-2.zip'])
      sums[name] = await backup(store, name)
    const at = (h: number): Date => new Date(Date.UTC(2026, 10, 20, h))
    await utimes(path.join(folder, 'xlr-backup-prod-a-1.zip'), at(1), at(1))
    await utimes(path.join(folder, 'xlr-backup-prod-b-1.zip'), at(2), at(2))
    await utimes(path.join(folder, 'xlr-backup-prod-a-2.zip'), at(3), at(3))
    // An unfinished backup (newer than all) must not be picked.
    await writeFile(path.join(folder, '.xlr-backup-prod-a-3.zip.partial-abc'), 'half')

    expect((await store.find({ prefix: 'xlr-backup-prod-' }, logger)).name).toBe('xlr-backup-prod-a-2.zip')
    expect((await store.find({ prefix: 'xlr-backup-prod-b' }, logger)).name).toBe('xlr-backup-prod-b-1.zip')
    // Host b stored last: a shared prefix follows time, not the name that sorts last.
    await utimes(path.join(folder, 'xlr-backup-prod-a-2.zip'), at(0), at(0))
    const found = await store.find({ prefix: 'xlr-backup-prod-' }, logger)
    expect(found.name).toBe('xlr-backup-prod-b-1.zip')
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    expect(await sha256Of(await store.fetch(found, dest, logger))).toBe(sums['xlr-backup-prod-b-1.zip'])
  })

  test('a changed backup fails its digest: IntegrityError and no copy left', async () => {
    const folder = await mkdtemp(path.join(tmp, 'tamper-'))
    const store = await createStorage(settings(folder), logger)
    await backup(store, 'x.zip')
    await appendFile(path.join(folder, 'x.zip'), 'junk')
    const found = await store.find({ name: 'x.zip' }, logger)
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const error = (await store.fetch(found, dest, logger).catch(e => e)) as Error
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/does not match its digest file/)
    expect(await readdir(dest)).toEqual([])
  })

  test('a backup copied in by hand (no sidecar) is fetched with a warning', async () => {
    const folder = await mkdtemp(path.join(tmp, 'manual-'))
    await writeFile(path.join(folder, 'copied.zip'), 'bytes')
    const store = await createStorage(settings(folder), logger)
    const found = await store.find({ name: 'copied.zip' }, logger)
    expect(found.sha256).toBeNull()
    const log = new MemoryLogger()
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    expect(await readFile(await store.fetch(found, dest, log), 'utf8')).toBe('bytes')
    expect(log.messages('warning').join('\n')).toMatch(/no copied\.zip\.sha256 digest file/)
  })

  test('clear errors: nothing found, ambiguous name, unwritable or unreadable path, bad names', async () => {
    const folder = await mkdtemp(path.join(tmp, 'errors-'))
    const store = await createStorage(settings(folder), logger)
    await backup(store, 'nightly-1.zip')
    await backup(store, 'nightly-1.zip.age')
    await expect(store.find({ name: 'nightly-1' }, logger)).rejects.toThrow(
      /Several backups .* match name 'nightly-1': 'nightly-1.zip', 'nightly-1.zip.age'/
    )
    await expect(store.find({ name: 'nightly-2' }, logger)).rejects.toThrow(
      new RegExp(
        `No backup found in '${folder}': looked for a backup named 'nightly-2'.*Similar names there: 'nightly-1.zip.age', 'nightly-1.zip'`
      )
    )
    await expect(store.find({ prefix: 'weekly-' }, logger)).rejects.toThrow(
      /looked for the newest backup whose name starts with 'weekly-'/
    )

    const aFile = path.join(folder, 'nightly-1.zip')
    const blocked = await createStorage(settings(path.join(aFile, 'sub')), logger)
    const error = (await blocked.stagingPath('y.zip').catch(e => e)) as Error
    expect(error).toBeInstanceOf(StorageError)
    expect(error.message).toMatch(/Input 'path' \(.*sub\) is not a folder this runner can write to \(ENOTDIR\)/)
    const missing = await createStorage(settings(path.join(tmp, 'does-not-exist')), logger)
    await expect(missing.find({ name: 'x' }, logger)).rejects.toThrow(
      /Input 'path' \(.*does-not-exist\) cannot be read \(ENOENT\)/
    )

    await expect(store.stagingPath('../escape.zip')).rejects.toBeInstanceOf(InputError)
    await expect(store.stagingPath('.hidden.zip')).rejects.toThrow(/may not start with '\.'/)
  })

  test('fetch writes nothing into the destination, even where a file of that name is', async () => {
    const folder = await mkdtemp(path.join(tmp, 'dest-'))
    const store = await createStorage(settings(folder), logger)
    const sum = await backup(store, 'z.zip')
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    await writeFile(path.join(dest, 'z.zip'), 'mine')
    const file = await store.fetch(await store.find({ name: 'z' }, logger), dest, logger)
    expect(await sha256Of(file)).toBe(sum)
    expect(await readFile(path.join(dest, 'z.zip'), 'utf8')).toBe('mine')
  })
})

/** `folder` with a symlink at `name` to a victim file, its storage, and a staged backup 'planted.zip'. */
async function plantedLink(folder: string, name: string) {
  const victim = path.join(folder, 'victim.txt')
  await writeFile(victim, 'keep me')
  await symlink(victim, path.join(folder, name))
  const store = new DirectoryStorage(folder)
  const staged = await store.stagingPath('planted.zip')
  await writeFile(staged, 'bytes')
  return { victim, store, staged }
}

describe('signature companion', () => {
  it('is written next to the backup, replacing (never writing through) a symlink planted at its name', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'dir-sig-'))
    try {
      const { victim, store, staged } = await plantedLink(folder, 'planted.zip.sig')
      await store.publish(staged, 'planted.zip', new MemoryLogger(), undefined, 'the signature\n')
      expect(await readFile(victim, 'utf8')).toBe('keep me')
      expect((await lstat(path.join(folder, 'planted.zip.sig'))).isSymbolicLink()).toBe(false)
      expect(await readFile(path.join(folder, 'planted.zip.sig'), 'utf8')).toBe('the signature\n')
      expect((await stat(path.join(folder, 'planted.zip.sig'))).mode & 0o777).toBe(0o600)
      const found = await store.find({ prefix: 'planted' }, new MemoryLogger())
      expect(found.name).toBe('planted.zip')
      expect(await store.fetchSignature(found)).toBe('the signature\n')
      expect((await readdir(folder)).sort()).toEqual([
        'planted.zip',
        'planted.zip.sha256',
        'planted.zip.sig',
        'victim.txt'
      ])
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('the digest file replaces (never writes through) a symlink planted at its name', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'dir-sha-'))
    try {
      const { victim, store, staged } = await plantedLink(folder, 'planted.zip.sha256')
      await store.publish(staged, 'planted.zip', new MemoryLogger())
      expect(await readFile(victim, 'utf8')).toBe('keep me')
      const sidecar = path.join(folder, 'planted.zip.sha256')
      expect((await lstat(sidecar)).isSymbolicLink()).toBe(false)
      expect((await stat(sidecar)).mode & 0o777).toBe(0o600)
      expect(await readFile(sidecar, 'utf8')).toBe(`${await sha256Of(path.join(folder, 'planted.zip'))}  planted.zip\n`)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('a FIFO or a huge file at the companion name is refused without reading it', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'dir-sig-'))
    try {
      const store = new DirectoryStorage(folder)
      execFileSync('mkfifo', [path.join(folder, 'fifo.zip.sig')])
      await expect(store.fetchSignature({ name: 'fifo.zip' } as never)).rejects.toThrow(
        /not a small regular file \(not a file\)/
      )
      await writeFile(path.join(folder, 'big.zip.sig'), Buffer.alloc(1024 * 1024))
      await expect(store.fetchSignature({ name: 'big.zip' } as never)).rejects.toThrow(
        /not a small regular file \(1048576 bytes\)/
      )
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})
