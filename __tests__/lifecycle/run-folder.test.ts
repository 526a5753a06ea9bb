import { spawn } from 'node:child_process'
import { mkdir, readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { currentOwner, ownerIsGone, ownerTag, type Owner } from '../../src/lifecycle/owner-tag.js'
import { removeDeadRunFolders, RUN_FOLDER_PREFIX, withRunFolder } from '../../src/lifecycle/run-folder.js'
import { currentRunFolder, makePrivateTempDir } from '../../src/shared/private-files.js'
import { withMysqlDefaults, withPgEnv } from '../../src/database/credentials.js'
import type { DatabaseTarget } from '../../src/database/types.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { deadPid } from '../support/guard-fixtures.js'
import { scratchFolder } from '../support/scratch.js'

let root: string

scratchFolder('xlr-run-folder-', made => (root = made), { each: true })

async function runFolderOf(owner: Owner, suffix = 'AbC123'): Promise<string> {
  const dir = path.join(root, `${RUN_FOLDER_PREFIX}${ownerTag(owner)}-${suffix}`)
  await mkdir(path.join(dir, 'backup-x'), { recursive: true })
  return dir
}

describe('the run folder', () => {
  it('holds every private temporary folder of the job, owner-only, and is gone after success and after failure', async () => {
    let seen = ''
    await withRunFolder(root, new MemoryLogger(), async () => {
      seen = currentRunFolder()!
      expect(path.dirname(seen)).toBe(root)
      expect(path.basename(seen)).toMatch(new RegExp(`^${RUN_FOLDER_PREFIX}${ownerTag()}-`))
      expect((await stat(seen)).mode & 0o777).toBe(0o700)
      const secrets = await makePrivateTempDir('xlr-pg-')
      expect(path.dirname(secrets)).toBe(seen)
    })
    expect(currentRunFolder()).toBeNull()
    expect(await readdir(root)).toEqual([])

    await expect(
      withRunFolder(root, new MemoryLogger(), async () => {
        await makePrivateTempDir('dump-')
        throw new Error('the job failed')
      })
    ).rejects.toThrow('the job failed')
    expect(await readdir(root)).toEqual([])
  })

  it('holds the password files of the database clients', async () => {
    const target: DatabaseTarget = {
      roles: ['repository'],
      engine: 'postgresql',
      url: 'jdbc:postgresql://db:5432/xlr',
      host: 'db',
      port: 5432,
      hosts: [],
      database: 'xlr',
      params: {},
      username: 'xlr',
      password: 'pw-in-a-file',
      embedded: false,
      source: 'input'
    }
    await withRunFolder(root, new MemoryLogger(), async () => {
      const folder = currentRunFolder()!
      const pgpass = await withPgEnv(target, 'xlr', async env => env.PGPASSFILE)
      const mycnf = await withMysqlDefaults({ ...target, engine: 'mysql' }, async file => file)
      for (const file of [pgpass, mycnf]) expect(path.dirname(path.dirname(file))).toBe(folder)
    })
  })

  it("removes a dead run's folder and logs it, but never a live run's, another host's or a stranger's", async () => {
    const me = currentOwner()
    const dead = await runFolderOf({ pid: deadPid(), startTime: 0, host: me.host })
    // Same pid as a live process but another start time: the pid was reused, the owner is gone.
    const reused = await runFolderOf({ ...me, startTime: me.startTime + 1 }, 'ReUse1')
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      const liveDir = await runFolderOf({ pid: live.pid!, startTime: 0, host: me.host }, 'Live01')
      const mine = await runFolderOf(me, 'Mine01')
      const otherHost = await runFolderOf({ pid: deadPid(), startTime: 0, host: '0badc0de' }, 'Other1')
      const stranger = path.join(root, `${RUN_FOLDER_PREFIX}not-a-tag`)
      await mkdir(stranger)

      const logger = new MemoryLogger()
      const removed = await removeDeadRunFolders(root, logger)

      expect(removed.sort()).toEqual([dead, reused].sort())
      expect((await readdir(root)).sort()).toEqual(
        [liveDir, mine, otherHost, stranger].map(d => path.basename(d)).sort()
      )
      expect(logger.messages('info').filter(m => m.startsWith('Removed '))).toHaveLength(2)
    } finally {
      live.kill('SIGKILL')
    }
  })

  it('judges owners: a live process is not gone, a finished one is, another host is never judged', () => {
    const me = currentOwner()
    expect(ownerIsGone(me)).toBe(false)
    expect(ownerIsGone({ pid: deadPid(), startTime: 0, host: me.host })).toBe(true)
    expect(ownerIsGone({ pid: deadPid(), startTime: 0, host: '00000000' })).toBe(false)
  })

  it('the next job removes what a dead job left before it makes its own folder', async () => {
    const dead = await runFolderOf({ pid: deadPid(), startTime: 0, host: currentOwner().host })
    const logger = new MemoryLogger()
    await withRunFolder(root, logger, async () => {
      expect(await readdir(root)).toEqual([path.basename(currentRunFolder()!)])
    })
    expect(logger.messages('info').some(m => m.includes(dead))).toBe(true)
  })
})
