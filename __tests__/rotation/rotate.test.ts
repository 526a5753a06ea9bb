/**
 * The rotation command over a fake store (the real stores are rotated in directory-, artifact- and cache-rotation
 * tests): locked objects, a new backup the store does not list yet, unreadable times.
 */
import { rotate } from '../../src/commands/rotate.js'
import { parseSettings } from '../../src/settings/parse.js'
import { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { StorageError } from '../../src/shared/errors.js'
import type { BackupStorage, FoundBackup } from '../../src/storage/index.js'

const settings = parseSettings(
  name =>
    ({
      [Input.Mode]: 'prune',
      [Input.Storage]: 'directory',
      [Input.Path]: '/unused',
      [Input.NamePrefix]: 'p-',
      [Input.KeepLast]: '1'
    })[name as string] ?? '',
  {}
)

function found(name: string, createdAt: string | null): FoundBackup {
  return { name, ref: name, size: 1, sha256: null, createdAt }
}

/** A store that lists `backups` and answers remove with `outcome(name)`; it records what it was asked to delete. */
function fakeStore(backups: FoundBackup[], outcome: (name: string) => 'deleted' | 'locked' | Error) {
  const removed: string[] = []
  const store = {
    kind: 's3',
    list: async () => backups,
    remove: async (b: FoundBackup) => {
      removed.push(b.name)
      const result = outcome(b.name)
      if (result instanceof Error) throw result
      return result
    }
  } as unknown as BackupStorage
  return { store, removed }
}

test('an object under a lock is skipped with a note, not an error, and the rest are deleted', async () => {
  const backups = [
    found('p-3', '2026-01-03T00:00:00Z'),
    found('p-2', '2026-01-02T00:00:00Z'),
    found('p-1', '2026-01-01T00:00:00Z')
  ]
  const { store, removed } = fakeStore(backups, name => (name === 'p-2' ? 'locked' : 'deleted'))
  const report = await rotate(store, settings, null, new MemoryLogger())
  expect(removed).toEqual(['p-2', 'p-1'])
  expect(report.rows.map(r => [r.name, r.decision])).toEqual([
    ['p-3', 'keep'],
    ['p-2', 'locked, skipped'],
    ['p-1', 'deleted']
  ])
  expect(report).toMatchObject({ deleted: 1, locked: 1 })
  expect(report.notes.join('\n')).toMatch(/Not deleted: 'p-2' is under a lock/)
})

test('a new backup the store does not list yet: nothing is deleted, and the note says why', async () => {
  const { store, removed } = fakeStore(
    [found('p-2', '2026-01-02T00:00:00Z'), found('p-1', '2026-01-01T00:00:00Z')],
    () => 'deleted'
  )
  const logger = new MemoryLogger()
  const report = await rotate(store, settings, 'p-3', logger)
  expect(removed).toEqual([])
  expect(logger.messages('warning').join('\n')).toMatch(/new backup 'p-3' is not among the 2 backup\(s\)/)
  expect(report.notes).toHaveLength(1)
})

test('a backup whose time cannot be read is kept and named in a warning', async () => {
  const { store, removed } = fakeStore([found('p-2', '2026-01-02T00:00:00Z'), found('p-x', null)], () => 'deleted')
  const logger = new MemoryLogger()
  const report = await rotate(store, settings, null, logger)
  expect(removed).toEqual([])
  expect(report.rows.map(r => [r.name, r.why])).toEqual([
    ['p-2', 'keep-last'],
    ['p-x', 'time unreadable']
  ])
  expect(logger.messages('warning')).toEqual([
    "Kept 'p-x' out of the rotation: its time cannot be read, so no rule can judge it (null)."
  ])
})

test('a backup dated ahead of the clock is kept out of the rotation and named, and the real ones are judged alone', async () => {
  const { store, removed } = fakeStore(
    [
      found('p-forged', '2031-01-01T00:00:00Z'),
      found('p-2', '2026-01-02T00:00:00Z'),
      found('p-1', '2026-01-01T00:00:00Z')
    ],
    () => 'deleted'
  )
  const logger = new MemoryLogger()
  const report = await rotate(store, settings, null, logger, Date.parse('2026-01-03T00:00:00Z'))
  expect(removed).toEqual(['p-1'])
  expect(report.rows.map(r => [r.name, r.decision, r.why])).toEqual([
    ['p-2', 'keep', 'keep-last'],
    ['p-forged', 'keep', 'dated in the future'],
    ['p-1', 'deleted', 'no rule keeps it']
  ])
  expect(logger.messages('warning')).toEqual([
    "Kept 'p-forged' out of the rotation: it claims 2031-01-01T00:00:00.000Z, a time in the future, so no rule can " +
      'judge it. A backup dated ahead would make every real backup look old: check who can write to this store, and ' +
      'delete it by hand if it is not yours.'
  ])
})

test('a failed deletion stops the rotation and says what is left', async () => {
  const backups = [
    found('p-3', '2026-01-03T00:00:00Z'),
    found('p-2', '2026-01-02T00:00:00Z'),
    found('p-1', '2026-01-01T00:00:00Z')
  ]
  const { store, removed } = fakeStore(backups, () => new StorageError('the share went away'))
  await expect(rotate(store, settings, null, new MemoryLogger())).rejects.toThrow(
    'the share went away The rotation stopped after deleting 0 backup(s); 2 it meant to delete remain.'
  )
  expect(removed).toEqual(['p-2'])
})
