import { mkdir, readdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { ExcludeMatcher } from '../../src/archive/exclude.js'
import { openBackupArchive } from '../../src/archive/backup-archive.js'
import { storageExclusion } from '../../src/commands/backup/storage-exclusion.js'
import { Input, Output } from '../../src/settings/inputs.js'
import { InputError } from '../../src/shared/errors.js'
import { directoryJob, run, runFailing } from '../support/run-job.js'
import { scratchHome } from '../support/scratch.js'

let work: string
let home: string

scratchHome('xlr-store-in-home-', 0.002, made => ({ work, home } = made))

const backupInto = (store: string, name: string) => directoryJob(home, store, { [Input.Name]: name })

async function entryNames(file: string): Promise<string[]> {
  const archive = await openBackupArchive(file)
  try {
    return [...archive.entries].map(e => e.name)
  } finally {
    await archive.close()
  }
}

describe("a storage 'path' inside the home", () => {
  it('is left out of the backup with a note, so the second backup does not carry the first', async () => {
    const store = path.join(home, 'backups', 'nightly')
    const { result: one } = await run(backupInto(store, 'one'))
    const { result: two, logger: second } = await run(backupInto(store, 'two'))

    for (const file of [one.outputs[Output.BackupPath], two.outputs[Output.BackupPath]] as string[]) {
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
    const { error } = await runFailing(backupInto(home, 'x'))
    expect(error).toBeInstanceOf(InputError)
    expect(error.message).toMatch(/is the home itself/)
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
