/**
 * The cache backend through the real @actions/cache client (service v2: Twirp CacheService + blob storage, tar with
 * zstd) against the local emulator.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { startCacheEmulator, type CacheEmulator } from '../../support/cache-emulator.js'
import { hideToolkitOutput, cleanUpEmulatorAfterAll } from '../../support/env.js'
import { sha256File as sha256Of } from '../../support/hash.js'
import { storageSettings } from '../../support/storage-fixtures.js'
import { InputError, IntegrityError, StorageError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import type { StorageSettings } from '../../../src/settings/settings.js'
import type * as StorageModule from '../../../src/storage/index.js'

let emu: CacheEmulator
let storage: typeof StorageModule
let tmp: string
let workspace: string
const logger = new MemoryLogger()

const settings: StorageSettings = storageSettings('cache')

async function backup(name: string, size = 4096): Promise<string> {
  const store = await storage.createStorage(settings, logger)
  const staged = await store.stagingPath(name)
  const data = randomBytes(size)
  await writeFile(staged, data)
  const published = await store.publish(staged, name, logger)
  const sha256 = createHash('sha256').update(data).digest('hex')
  expect(published).toEqual({ name, location: `xlr-backup-${name}`, cacheKey: `xlr-backup-${name}`, size, sha256 })
  return sha256
}

beforeAll(async () => {
  hideToolkitOutput()
  tmp = await mkdtemp(path.join(os.tmpdir(), 'storage-cache-'))
  workspace = path.join(tmp, 'workspace')
  await rm(workspace, { recursive: true, force: true })
  await import('node:fs/promises').then(fs => fs.mkdir(workspace))
  emu = await startCacheEmulator()
  Object.assign(process.env, emu.env, { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: tmp })
  process.chdir(workspace)
  storage = await import('../../../src/storage/index.js')
})

cleanUpEmulatorAfterAll(() => ({ emu, tmp }))

describe('cache storage', () => {
  const sums: Record<string, string> = {}

  test('saves a backup as one cache entry and leaves nothing in the workspace', async () => {
    sums['xlr-backup-h-1.zip'] = await backup('xlr-backup-h-1.zip', 5 * 1024 * 1024 + 3)
    expect(emu.entries().map(e => [e.key, e.finalized])).toEqual([['xlr-backup-xlr-backup-h-1.zip', true]])
    expect(await readdir(workspace)).toEqual([])
  })

  test('finds by exact name and by prefix (newest), and fetches the same bytes', async () => {
    sums['xlr-backup-h-2.zip'] = await backup('xlr-backup-h-2.zip')
    sums['xlr-backup-g-1.zip'] = await backup('xlr-backup-g-1.zip')
    const store = await storage.createStorage(settings, logger)
    const exact = await store.find({ name: 'xlr-backup-h-1' }, logger)
    expect(exact).toMatchObject({ name: 'xlr-backup-h-1.zip', ref: 'xlr-backup-xlr-backup-h-1.zip' })
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const file = await store.fetch(exact, dest, logger)
    expect(await sha256Of(file)).toBe(sums['xlr-backup-h-1.zip'])
    expect((await stat(file)).mode & 0o777).toBe(0o600)

    const newest = await store.find({ prefix: 'xlr-backup-h-' }, logger)
    expect(newest.name).toBe('xlr-backup-h-2.zip')
    expect((await store.find({ prefix: 'xlr-backup-' }, logger)).name).toBe('xlr-backup-g-1.zip')
    const dest2 = await mkdtemp(path.join(tmp, 'fetch-'))
    expect(await sha256Of(await store.fetch(newest, dest2, logger))).toBe(sums['xlr-backup-h-2.zip'])
    expect(await readdir(workspace)).toEqual([])
  })

  test('a name is never saved twice', async () => {
    await expect(backup('xlr-backup-h-1.zip')).rejects.toThrow(
      /cache entry 'xlr-backup-xlr-backup-h-1.zip' already exists/
    )
    expect(await readdir(workspace)).toEqual([])
  })

  /** Saves `name`, spoils its entry with `spoil`, fetches it: what the fetch threw; no file left there or in the workspace. */
  async function fetchSpoiled(name: string, size: number, spoil: (key: string) => Promise<void>): Promise<unknown> {
    await backup(name, size)
    await spoil(`xlr-backup-${name}`)
    const store = await storage.createStorage(settings, logger)
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const thrown = await store.fetch(await store.find({ name }, logger), dest, logger).then(
      () => 'nothing',
      (error: unknown) => error
    )
    expect(await readdir(dest)).toEqual([])
    expect(await readdir(workspace)).toEqual([])
    return thrown
  }

  test('a damaged entry fails the fetch and leaves no file', async () => {
    expect(await fetchSpoiled('damaged.zip', 100_000, key => emu.tamper(key))).toBeInstanceOf(StorageError)
  })

  test('a backup changed inside an intact entry fails its digest: IntegrityError, no file left', async () => {
    const error = await fetchSpoiled('changed.zip', 200_000, key => emu.tamperContent(key))
    expect(error).toBeInstanceOf(IntegrityError)
    expect((error as Error).message).toMatch(/does not match its digest/)
  })

  test('clear errors: nothing found, evicted, comma in the name, run-id', async () => {
    const store = await storage.createStorage(settings, logger)
    await expect(store.find({ prefix: 'weekly-' }, logger)).rejects.toThrow(
      /No cache entry found: looked for the newest backup whose name starts with 'weekly-'.*7 days/
    )
    const found = await store.find({ name: 'xlr-backup-g-1.zip' }, logger)
    emu.evict('xlr-backup-xlr-backup-g-1.zip')
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    await expect(store.fetch(found, dest, logger)).rejects.toThrow(/could not be downloaded.*evicted/)
    await expect(store.stagingPath('a,b.zip')).rejects.toBeInstanceOf(InputError)
  })

  test('warns when a scheduled run keeps backups in the cache', () => {
    const log = new MemoryLogger()
    expect(storage.warnIfCacheForSchedule('cache', log, 'schedule')).toBe(true)
    expect(log.messages('warning')[0]).toMatch(/evicts entries not used for 7 days.*10 GB/)
    expect(storage.warnIfCacheForSchedule('cache', log, 'workflow_dispatch')).toBe(false)
    expect(storage.warnIfCacheForSchedule('artifact', log, 'schedule')).toBe(false)
    expect(log.messages('warning')).toHaveLength(1)
  })

  test('a signature travels in the same entry: read first, then the backup from the same download', async () => {
    const name = 'xlr-backup-signed-1.zip'
    const store = await storage.createStorage(settings, logger)
    const staged = await store.stagingPath(name)
    await writeFile(staged, 'signed bytes')
    await store.publish(staged, name, logger, undefined, 'statement and signature\n')
    expect(
      emu
        .entries()
        .filter(e => e.key.includes('signed'))
        .map(e => e.key)
    ).toEqual([`xlr-backup-${name}`])
    const found = await store.find({ prefix: 'xlr-backup-signed-' }, logger)
    expect(found.name).toBe(name)
    const downloads = (): number => emu.requests.filter(r => r.startsWith('GET /devstoreaccount1/')).length
    const before = downloads()
    expect(await store.fetchSignature(found, tmp, logger)).toBe('statement and signature\n')
    const dest = await mkdtemp(path.join(tmp, 'fetch-'))
    const file = await store.fetch(found, dest, logger)
    expect(await readFile(file, 'utf8')).toBe('signed bytes')
    expect(downloads() - before).toBe(1)
    expect(await readdir(workspace)).toEqual([])
    // A digest pinned by a signature is checked even though the entry's own digest file agrees with the bytes.
    await store.fetchSignature(found, tmp, logger)
    const pinned = { ...found, sha256: 'f'.repeat(64) }
    const dest2 = await mkdtemp(path.join(tmp, 'fetch-'))
    await expect(store.fetch(pinned, dest2, logger)).rejects.toThrow(/does not match its signed digest/)
    expect(await readdir(dest2)).toEqual([])
    // Refused after fetchSignature: forget() leaves nothing in the workspace.
    await store.fetchSignature(found, tmp, logger)
    await store.forget?.()
    expect(await readdir(workspace)).toEqual([])
    // An unsigned entry has no signature.
    const unsigned = await store.find({ prefix: 'xlr-backup-h-1' }, logger)
    expect(await store.fetchSignature(unsigned, tmp, logger)).toBeNull()
    await store.forget?.()
  })
})
