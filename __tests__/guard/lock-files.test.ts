import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { assertServerStopped } from '../../src/guard/index.js'
import { findLockFiles } from '../../src/guard/lock-files.js'
import { ServerRunningError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { freePort, homeInfo, sandboxPerTest, scopedLister } from '../support/guard-fixtures.js'

const { cleanup, sandbox } = sandboxPerTest()

async function touch(rel: string): Promise<void> {
  const file = path.join(sandbox.home, rel)
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, '')
}

describe('lock file probe', () => {
  test('stale lock files alone give warnings that explain them, not a refusal', async () => {
    await touch('repository/.lock')
    await touch('repository/workspaces/default/db/db.lck')
    await touch('archive/db/db.lck')
    await touch('repository/xl-release.lock.db')
    const logger = new MemoryLogger()
    const report = await assertServerStopped(
      homeInfo(sandbox.home, await freePort()),
      { processLister: scopedLister(sandbox.root) },
      logger
    )
    expect(report.running).toBe(false)
    expect(report.findings.map(f => [f.probe, f.blocking, path.relative(sandbox.home, f.path!)]).sort()).toEqual([
      ['lock-file', false, 'archive/db/db.lck'],
      ['lock-file', false, 'repository/.lock'],
      ['lock-file', false, 'repository/workspaces/default/db/db.lck'],
      ['lock-file', false, 'repository/xl-release.lock.db']
    ])
    const warnings = logger.messages('warning')
    expect(warnings).toHaveLength(4)
    expect(warnings.find(w => w.includes('repository/.lock'))).toContain('Jackrabbit repository lock')
    expect(warnings.find(w => w.includes('archive/db/db.lck'))).toContain('Derby database lock')
    expect(warnings.find(w => w.includes('xl-release.lock.db'))).toContain('H2 database lock')
    for (const w of warnings) expect(w).toMatch(/leaves it behind.*stale/)
  })

  test('a lock file next to a listening server: the refusal names the port, the lock stays a side note', async () => {
    await touch('archive/db/db.lck')
    const port = await freePort()
    await cleanup.listen(port)
    const error = (await assertServerStopped(
      homeInfo(sandbox.home, port),
      { processLister: scopedLister(sandbox.root) },
      new MemoryLogger()
    ).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain(`port ${port}`)
    expect(error.message).not.toContain('db.lck')
  })

  test('look-alikes and lock files outside the database folders are not reported; symlinks are not followed', async () => {
    await touch('conf/db.lck')
    await touch('archive/.lock')
    await touch('repository/db.lck.bak')
    await touch('repository/datastore/ab/cd/db.lck')
    const outside = await mkdtemp(path.join(os.tmpdir(), 'guard-outside-'))
    try {
      await writeFile(path.join(outside, 'db.lck'), '')
      await symlink(outside, path.join(sandbox.home, 'archive', 'linked'))
      expect(await findLockFiles(sandbox.home, new MemoryLogger())).toEqual([])
      // Positive control: the same walk finds a real one.
      await touch('archive/derby/db.lck')
      expect((await findLockFiles(sandbox.home, new MemoryLogger())).map(f => f.path)).toEqual([
        path.join(sandbox.home, 'archive/derby/db.lck')
      ])
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  test('a home without database folders has no lock findings', async () => {
    const bare = path.join(sandbox.root, 'bare-home')
    await mkdir(path.join(bare, 'conf'), { recursive: true })
    expect(await findLockFiles(bare, new MemoryLogger())).toEqual([])
  })
})
