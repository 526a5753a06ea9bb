import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeHome } from '../../scripts/make-home.js'
import { ExcludeMatcher } from '../../src/archive/exclude.js'
import { openBackupArchive } from '../../src/archive/backup-archive.js'
import { storageExclusion } from '../../src/commands/backup/storage-exclusion.js'
import { runJob } from '../../src/job.js'
import { Input } from '../../src/settings/inputs.js'
import { parseSettings } from '../../src/settings/parse.js'
import { InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'

let work: string
let home: string

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'xlr-store-in-home-'))
  home = path.join(work, 'home')
  await makeHome(home, { scale: 0.002 })
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

const backupInto = (store: string, name: string) =>
  parseSettings(
    n =>
      ({
        [Input.Home]: home,
        [Input.Storage]: 'directory',
        [Input.Path]: store,
        [Input.Database]: 'none',
        [Input.Name]: name
      })[n as string] ?? '',
    {}
  )

async function entryNames(file: string): Promise<string[]> {
  const archive = await openBackupArchive(file)
  try {
    return archive.entries.map(e => e.name)
  } finally {
    await archive.close()
  }
}

describe("a storage 'path' inside the home", () => {
  it('is left out of the backup with a note, so the second backup does not carry the first', async () => {
    const store = path.join(home, 'backups', 'nightly')
    const first = new MemoryLogger()
    const one = await runJob(backupInto(store, 'one'), first)
    const second = new MemoryLogger()
    const two = await runJob(backupInto(store, 'two'), second)

    for (const file of [one.outputs['backup-path'], two.outputs['backup-path']] as string[]) {
      const names = await entryNames(file)
      expect(names.some(n => n.startsWith('home/backups/nightly/'))).toBe(false)
      // Only the storage folder is left out, not its parent.
      expect(names).toContain('home/backups/')
      expect(names).toContain('home/conf/xl-release-server.conf')
    }
    expect(second.messages('info').join('\n')).toContain(
      `Input 'path' (${store}) lies inside the home: its folder backups/nightly/ is left out of the backup`
    )
    expect((await readdir(store)).filter(n => n.startsWith('two'))).toHaveLength(2)
  })

  it('is refused when it is the home itself', async () => {
    await expect(runJob(backupInto(home, 'x'), new MemoryLogger())).rejects.toThrow(InputError)
    await expect(runJob(backupInto(home, 'x'), new MemoryLogger())).rejects.toThrow(/is the home itself/)
  })

  it('is matched literally, whatever glob characters its name holds, through symlinks and before it exists', async () => {
    await mkdir(path.join(work, 'elsewhere'), { recursive: true })
    await writeFile(path.join(work, 'note'), '')
    expect(await storageExclusion(home, path.join(home, 'b[1]*?', 'x'))).toBe('b[[]1][*][?]/x/')
    const literal = ExcludeMatcher.parse('b[[]1][*][?]/x/')
    expect(literal.excludes('b[1]*?/x', true)).toBe(true)
    expect(literal.excludes('b1ab/x', true)).toBe(false)
    expect(await storageExclusion(home, path.join(work, 'elsewhere'))).toBeNull()
    expect(await storageExclusion(home, path.join(home, '..', 'elsewhere'))).toBeNull()
  })
})
