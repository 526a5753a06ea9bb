/**
 * A full disk is not a damaged backup. Needs root (it mounts small tmpfs filesystems): verify refuses up front with
 * the space it needs and has, and a restore that meets ENOSPC while staging (the estimate was beaten by another
 * writer) still removes its staging copy and leaves the home as it was.
 */
import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { NotEnoughSpaceError } from '../../../src/archive/scratch-space.js'
import { backupTopLevel, runRestore, selectComponents } from '../../../src/restore-engine/index.js'
import { Input } from '../../../src/settings/inputs.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { withEnvVar } from '../../support/env.js'
import { HostileScene, runRefused } from '../../support/hostile-fixtures.js'
import type { Inputs } from '../../support/run-job.js'
import { backupFromFolder, FolderExtractor, makeScenario, treeHash } from '../../support/restore-fixtures.js'

const mounts: string[] = []
let tmp: string

async function smallDisk(name: string, size: string): Promise<string> {
  const dir = path.join(tmp, name)
  await mkdir(dir)
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  mounts.push(dir)
  return dir
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xlr-full-disk-'))
})

afterAll(async () => {
  for (const m of mounts.reverse()) execFileSync('umount', [m])
  await rm(tmp, { recursive: true, force: true })
})

/**
 * Runs `mode` on the backup 'roomy' (the scene's home plus `bigEntry`, 8 MB of zeros: a few kB stored, more than a
 * 2 MB disk holds unpacked) with RUNNER_TEMP on a new 2 MB disk, `disk`; checks that it is refused for space, not as
 * damaged, leaving that disk empty and the scene as it was; then hands its error, the disk and the scene to `check`.
 */
async function refusedForSpace(
  run: {
    scene: string
    mode: 'verify' | 'restore'
    bigEntry: string
    disk: string
    over?: (scene: HostileScene) => Inputs
  },
  check: (error: Error, runnerTemp: string, scene: HostileScene) => Promise<void>
): Promise<void> {
  const { mode, bigEntry, disk, over = () => ({}) } = run
  const scene = await HostileScene.create(run.scene)
  try {
    const entries = await scene.homeEntries()
    entries.push({ name: bigEntry, data: Buffer.alloc(8 * 1024 * 1024) })
    await scene.forge('roomy', entries)
    const runnerTemp = await smallDisk(disk, '2m')
    const before = await scene.snapshot()
    const { error } = await withEnvVar('RUNNER_TEMP', runnerTemp, () =>
      runRefused(scene.inputs(mode, 'roomy', { [Input.Database]: 'none', ...over(scene) }))
    )
    expect(error).toBeInstanceOf(NotEnoughSpaceError)
    await check(error, runnerTemp, scene)
    expect(await readdir(runnerTemp)).toEqual([])
    expect(await scene.snapshot()).toEqual(before)
  } finally {
    await scene.cleanup()
  }
}

it('verify with a scratch folder too small says so, not "damaged", and leaves nothing there', async () => {
  await refusedForSpace(
    { scene: 'space', mode: 'verify', bigEntry: 'home/repository/big.bin', disk: 'runner-temp' },
    async (error, runnerTemp) => {
      expect(error.message).toMatch(
        new RegExp(
          `^Not enough free space in ${runnerTemp}/xlr-backup-run-[\\w.-]+/verify-\\w+: need [\\d.]+ MiB, have [\\d.]+ [KM]iB\\. The backup was not found damaged; free space there, or point RUNNER_TEMP`
        )
      )
      expect(error.message).not.toMatch(/damaged:|is refused/)
    }
  )
})

it("restore with a work folder too small for the backup's conf says so before unpacking it", async () => {
  await refusedForSpace(
    {
      scene: 'space-restore',
      mode: 'restore',
      bigEntry: 'home/conf/big.bin',
      disk: 'runner-temp-restore',
      over: scene => ({ [Input.Home]: path.join(scene.root, 'new-home') })
    },
    async (error, runnerTemp, scene) => {
      expect(error.message).toMatch(
        new RegExp(`^Not enough free space in ${runnerTemp}/xlr-backup-run-[\\w.-]+/restore-\\w+: need [\\d.]+ MiB`)
      )
      expect(await readdir(scene.root)).not.toContain('new-home')
    }
  )
})

it('ENOSPC while staging removes the staging copy and leaves the home unchanged', async () => {
  const s = await makeScenario(path.join(tmp, 'scenario'), { databases: false })
  await writeFile(path.join(s.backupHome, 'repository', 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 1))
  const backup = await backupFromFolder(s.backupHome, { databases: [] })
  const disk = await smallDisk('home-disk', '1m')
  const home = path.join(disk, 'home')
  await cp(s.home, home, { recursive: true, verbatimSymlinks: true })
  const before = await treeHash(home)
  const attempt = runRestore(
    {
      home,
      backup,
      components: selectComponents('default', backupTopLevel(backup.manifest.files), false),
      previousPath: '',
      safetyDump: false,
      resetIndexes: 'false',
      interrupted: '',
      dryRun: false
    },
    {
      extractor: new FolderExtractor(s.backupHome),
      databases: null,
      logger: new MemoryLogger(),
      // The estimate said it fits (another writer filled the disk since): the real ENOSPC comes while staging.
      statfs: async () => ({ bavail: 1 << 30, bsize: 4096 })
    }
  )
  await expect(attempt).rejects.toThrow(/ENOSPC|no space left/i)
  expect(await treeHash(home)).toBe(before)
  expect((await readdir(home)).filter(n => n.startsWith('.xlr-restore-'))).toEqual([])
})
