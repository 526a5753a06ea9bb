import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { HOME_LOCK_NAME } from '../../src/format/home-lock-name.js'
import { HomeLockedError, withHomeLock } from '../../src/lifecycle/home-lock.js'
import { currentOwner, hostTag, ownerTag } from '../../src/lifecycle/owner-tag.js'
import { Input } from '../../src/settings/inputs.js'
import { InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { deadPid } from '../support/guard-fixtures.js'
import { settingsOf } from '../support/run-job.js'
import { scratchFolder } from '../support/scratch.js'
import { thrownBy } from '../support/thrown.js'

let root: string
let home: string
scratchFolder(
  'xlr-home-lock-',
  made => {
    root = made
    home = path.join(root, 'home')
  },
  { each: true }
)

const lockFile = (): string => path.join(home, HOME_LOCK_NAME)
const options = { purpose: 'backup', createHome: true }

/** A lock file as another run would have written it. */
async function plantLock(owner: string, host = os.hostname(), pid = 4242): Promise<void> {
  await mkdir(home, { recursive: true })
  const record = { tool: 'xlr-backup', purpose: 'restore', host, pid, owner, runId: 'acme/ops #77', startedAt: 'then' }
  await writeFile(lockFile(), `${JSON.stringify(record)}\n`)
}

describe('the home lock', () => {
  test('is held while the work runs, with who holds it, and gone after a failure', async () => {
    const failure = new Error('the work failed')
    const seen = await withHomeLock(home, options, new MemoryLogger(), async () => {
      const record = JSON.parse(await readFile(lockFile(), 'utf8')) as Record<string, unknown>
      expect(record).toMatchObject({ host: os.hostname(), pid: process.pid, owner: ownerTag(), purpose: 'backup' })
      throw failure
    }).catch((e: unknown) => e)
    expect(seen).toBe(failure)
    // The home this restore created for its lock is removed again: it was left empty.
    expect(await readdir(root)).toEqual([])
  })

  test('a live holder on this host: refused at once, naming it; its lock is left alone', async () => {
    await plantLock(ownerTag(currentOwner()), os.hostname(), process.pid)
    let ran = false
    const error = await withHomeLock(home, options, new MemoryLogger(), async () => (ran = true)).catch(
      (e: unknown) => e as Error
    )
    expect(ran).toBe(false)
    expect(error).toBeInstanceOf(HomeLockedError)
    expect((error as Error).message).toContain(
      `Another run is working on this home: a restore by pid ${process.pid} on ${os.hostname()} (run acme/ops #77, started then)`
    )
    expect(await readdir(home)).toEqual([HOME_LOCK_NAME])
  })

  test('a holder whose pid now belongs to a later process (pid reuse) is dead: its lock is broken with a warning', async () => {
    const reused = { ...currentOwner(), startTime: currentOwner().startTime - 1 }
    await plantLock(ownerTag(reused), os.hostname(), process.pid)
    const logger = new MemoryLogger()
    expect(await withHomeLock(home, options, logger, async () => 'ran')).toBe('ran')
    expect(logger.messages('warning').join('\n')).toContain('Removed a stale lock on the home')
  })

  test('a holder whose pid is free is dead too', async () => {
    const pid = deadPid()
    await plantLock(`${pid}.1.${hostTag()}`, os.hostname(), pid)
    const logger = new MemoryLogger()
    expect(await withHomeLock(home, options, logger, async () => 'ran')).toBe('ran')
    expect(logger.messages('warning')).toHaveLength(1)
  })

  test('a holder on another host is never judged dead: refused, saying how to clear it', async () => {
    await plantLock(`1.1.${hostTag('elsewhere')}`, 'elsewhere', 1)
    await expect(withHomeLock(home, options, new MemoryLogger(), async () => 'ran')).rejects.toThrow(
      `The holder runs on another host, so this run cannot tell whether it is still alive: if it is not, delete ${lockFile()}.`
    )
  })

  test('a lock file this tool cannot read: refused, naming the file', async () => {
    await plantLock('x')
    await writeFile(lockFile(), 'garbage')
    await expect(withHomeLock(home, options, new MemoryLogger(), async () => 'ran')).rejects.toThrow(
      `The home is locked by ${lockFile()}, which this tool cannot read.`
    )
  })

  test('a backup of a missing home takes no lock and creates nothing: reading the home gives the error', async () => {
    const error = await withHomeLock(home, { ...options, createHome: false }, new MemoryLogger(), async () => {
      throw new Error('no home')
    }).catch((e: unknown) => e as Error)
    expect((error as Error).message).toBe('no home')
    expect(await readdir(root)).toEqual([])
  })
})

describe("the 'health-url' input", () => {
  const healthUrl = (value: string): string =>
    settingsOf({ [Input.Home]: '/h', [Input.HealthUrl]: value }).server.healthUrl

  test("empty (the server's own), 'none', or an http(s) URL", () => {
    expect(healthUrl('')).toBe('')
    expect(healthUrl('none')).toBe('none')
    expect(healthUrl('https://xlr.example.com/ha/health')).toBe('https://xlr.example.com/ha/health')
  })

  test.each([
    ['ftp://admin:secret@xlr/ha/health', /has the scheme 'ftp:', but only http: and https: are asked/],
    ['xlr.example.com/ha/health', /is not a URL/],
    ['admin:secret@xlr', /has the scheme 'admin:'/]
  ])('%j is refused without echoing it', (value, message) => {
    const error = thrownBy(InputError, () => healthUrl(value))
    expect(error.input).toBe(Input.HealthUrl)
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('secret')
  })
})
