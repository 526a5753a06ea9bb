import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { SNAPSHOT_DIR_PREFIX } from '../../src/format/snapshot-dir.js'
import { hostTag } from '../../src/lifecycle/owner-tag.js'
import { removeStaleSnapshots, stagingFolder } from '../../src/snapshot/staging.js'
import { MemoryLogger } from '../../src/shared/logger.js'

let home: string
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'staging-'))
})
afterEach(async () => rm(home, { recursive: true, force: true }))

test("a killed run's snapshot is removed; a live run's, another host's, a link and a look-alike are left alone", async () => {
  const dead = `${SNAPSHOT_DIR_PREFIX}999999999.5.${hostTag()}`
  // pid 1 lives for as long as the machine; start time 0 means "unknown", which is never taken for gone.
  const live = `${SNAPSHOT_DIR_PREFIX}1.0.${hostTag()}`
  const otherHost = `${SNAPSHOT_DIR_PREFIX}999999999.5.00000000`
  const lookAlike = `${SNAPSHOT_DIR_PREFIX}not-a-tag`
  const linked = `${SNAPSHOT_DIR_PREFIX}999999998.5.${hostTag()}`
  for (const name of [dead, live, otherHost, lookAlike]) {
    await mkdir(path.join(home, name, 'home/repository'), { recursive: true })
    await writeFile(path.join(home, name, 'home/repository/data'), 'x')
  }
  const outside = path.join(home, 'outside')
  await mkdir(outside)
  await writeFile(path.join(outside, 'keep'), 'keep')
  await symlink(outside, path.join(home, linked))

  const removed = await removeStaleSnapshots(home, new MemoryLogger())

  expect(removed).toEqual([path.join(home, dead)])
  expect((await readdir(home)).sort()).toEqual([linked, live, lookAlike, otherHost, 'outside'].sort())
  expect(await readdir(outside)).toEqual(['keep'])
})

test("this run's staging folder is named by its own owner tag, inside the home", () => {
  expect(path.dirname(stagingFolder(home))).toBe(home)
  expect(path.basename(stagingFolder(home))).toMatch(
    new RegExp(`^\\${SNAPSHOT_DIR_PREFIX}${process.pid}\\.\\d+\\.${hostTag()}$`)
  )
})
