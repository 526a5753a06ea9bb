import { spawn } from 'node:child_process'
import { readdir, utimes, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { currentOwner, ownerTag } from '../../src/lifecycle/owner-tag.js'
import { DirectoryStorage } from '../../src/storage/directory.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { deadPid } from '../support/guard-fixtures.js'
import { scratchFolder } from '../support/scratch.js'

let folder: string

scratchFolder('xlr-partials-', made => (folder = made), { each: true })

async function partial(name: string, ageHours = 0): Promise<string> {
  const file = path.join(folder, name)
  await writeFile(file, 'half a backup')
  const when = new Date(Date.now() - ageHours * 3600 * 1000)
  await utimes(file, when, when)
  return name
}

describe('DirectoryStorage: unfinished backups of dead runs', () => {
  it('names its partial file after the run that writes it', async () => {
    const staged = await new DirectoryStorage(folder).stagingPath('nightly.zip')
    expect(path.basename(staged)).toMatch(
      new RegExp(`^\\.nightly\\.zip\\.partial-${ownerTag().replace(/\./g, '\\.')}-[0-9a-f]{12}$`)
    )
  })

  it("removes a dead run's partial and one untouched for two days, keeps a live run's, a fresh old-style one and finished backups", async () => {
    const host = currentOwner().host
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      const dead = await partial(`.a.zip.partial-${ownerTag({ pid: deadPid(), startTime: 0, host })}-0123456789ab`)
      const alive = await partial(`.b.zip.partial-${ownerTag({ pid: live.pid!, startTime: 0, host })}-0123456789ab`)
      const otherHostFresh = await partial(
        `.c.zip.partial-${ownerTag({ pid: deadPid(), startTime: 0, host: '00c0ffee' })}-0123456789ab`
      )
      const legacyFresh = await partial('.d.zip.partial-0123456789ab', 1)
      const legacyOld = await partial('.e.zip.partial-0123456789ab', 49)
      const finished = await partial('f.zip', 100)
      const logger = new MemoryLogger()

      const removed = await new DirectoryStorage(folder).removeStalePartials(logger)

      expect(removed.map(f => path.basename(f)).sort()).toEqual([dead, legacyOld].sort())
      expect((await readdir(folder)).sort()).toEqual([alive, otherHostFresh, legacyFresh, finished].sort())
      const said = logger.messages('info').join('\n')
      expect(said).toContain(`${path.join(folder, dead)} (13 bytes): an unfinished backup of a run`)
      expect(said).toContain(
        `${path.join(folder, legacyOld)} (13 bytes): an unfinished backup nobody has written to for two days`
      )
    } finally {
      live.kill('SIGKILL')
    }
  })
})
