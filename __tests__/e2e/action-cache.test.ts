/**
 * `storage: cache` end to end: the bundled action saves its backup through the real @actions/cache client (service
 * v2) to the local cache emulator, from a job whose workspace is its current folder as on a runner; other jobs (other
 * processes, other workspaces) verify it by exact name and restore the newest by prefix into an empty folder, byte
 * for byte. A backup changed inside an intact cache entry fails on its digest with the home untouched.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { SAMPLE_VERSION } from '../../scripts/make-home.js'
import { startCacheEmulator, type CacheEmulator } from '../support/cache-emulator.js'
import {
  errorLines,
  runAction,
  frontEndScene,
  sampleHome,
  tree,
  treeHash,
  type ActionRun,
  type TreeEntry
} from '../support/e2e-frontends.js'

let emu: CacheEmulator
let tmp: string
let home: string
let port: string
const saved: { name: string; workspace: string; backup: ActionRun; state: Map<string, TreeEntry> }[] = []

afterAll(() => emu?.close())
frontEndScene('e2e-action-cache-', made => ({ tmp, home, port } = made))
beforeAll(async () => {
  emu = await startCacheEmulator()
  for (const [i, name] of ['e2e-cache-20261125T020000Z', 'e2e-cache-20261126T020000Z'].entries()) {
    if (i > 0) await writeFile(path.join(home, 'conf', 'added-between-backups.conf'), 'second\n')
    const workspace = path.join(tmp, `workspace-${i}`)
    await mkdir(workspace)
    const backup = await runAction(
      { mode: 'backup', home, storage: 'cache', name, port, threads: '2' },
      { env: { ...emu.env, GITHUB_EVENT_NAME: i === 0 ? 'schedule' : 'workflow_dispatch' }, workspace }
    )
    saved.push({ name, workspace, backup, state: await tree(home, { mtimes: true }) })
  }
}, 300_000)

function expectOk(run: ActionRun): void {
  expect(errorLines(run)).toEqual([])
  expect(run.code).toBe(0)
  // @actions/cache leaves the file list it gave tar (paths only) in its temp folder; the runner removes it.
  expect(run.tempLeft.filter(f => !/^[0-9a-f-]{36}\/manifest\.txt$/.test(f))).toEqual([])
}

test('each backup is saved as one cache entry, the workspace is left clean, outputs name the key', async () => {
  for (const { name, workspace, backup } of saved) {
    expectOk(backup)
    expect(backup.outputs).toMatchObject({
      'backup-name': `${name}.zip`,
      'cache-key': `xlr-backup-${name}.zip`,
      'xl-release-version': SAMPLE_VERSION
    })
    expect(backup.outputs['backup-sha256']).toMatch(/^[0-9a-f]{64}$/)
    expect(Number(backup.outputs['backup-size'])).toBeGreaterThan(0)
    expect(backup.outputs['artifact-id']).toBeUndefined()
    expect(await readdir(workspace)).toEqual([])
  }
  expect(emu.entries().map(e => [e.key, e.finalized])).toEqual(
    saved.map(s => [`xlr-backup-${s.name}.zip`, true] as [string, boolean])
  )
})

test('a scheduled backup into the cache warns that the cache is no place to keep backups', () => {
  const warning = (run: ActionRun): string[] =>
    run.stdout.split('\n').filter(l => l.startsWith('::warning') && l.includes('is not a place to keep scheduled'))
  expect(warning(saved[0].backup)).toHaveLength(1)
  expect(warning(saved[1].backup)).toHaveLength(0)
})

test('verify by exact name in another job (another workspace)', async () => {
  const verify = await runAction({ mode: 'verify', storage: 'cache', name: saved[0].name }, { env: emu.env })
  expectOk(verify)
  expect(verify.outputs).toMatchObject({
    verified: 'true',
    'backup-name': `${saved[0].name}.zip`,
    'backup-size': saved[0].backup.outputs['backup-size']
  })
})

test('restore the newest by name-prefix into an empty folder: the whole home, byte for byte', async () => {
  const target = path.join(tmp, 'restored')
  await mkdir(target)
  const workspace = path.join(tmp, 'workspace-restore')
  await mkdir(workspace)
  const restore = await runAction(
    { mode: 'restore', home: target, storage: 'cache', 'name-prefix': 'e2e-cache-', components: 'all', port },
    { env: emu.env, workspace }
  )
  expectOk(restore)
  expect(restore.outputs['backup-name']).toBe(`${saved[1].name}.zip`)
  expect(await tree(target, { mtimes: true })).toEqual(saved[1].state)
  expect(saved[1].state.has('conf/added-between-backups.conf')).toBe(true)
  expect(await readdir(workspace)).toEqual([])
})

test('a backup changed inside its cache entry fails the restore on its digest; the home is unchanged', async () => {
  await emu.tamperContent(`xlr-backup-${saved[0].name}.zip`)
  const target = await sampleHome(path.join(tmp, 'existing-home'), 0.002)
  const before = await treeHash(target)
  const restore = await runAction(
    { mode: 'restore', home: target, storage: 'cache', name: saved[0].name, components: 'all', port },
    { env: emu.env }
  )
  expect(restore.code).toBe(1)
  expect(errorLines(restore)).toEqual([expect.stringMatching(/does not match its digest/)])
  expect(restore.outputs).toEqual({})
  expect(restore.tempLeft).toEqual([])
  expect(await treeHash(target)).toBe(before)
})
