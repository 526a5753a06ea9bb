/**
 * 'downtime: minimal' where the home's filesystem lets it down: a disk that fills while the server stops (a small
 * tmpfs, filled by the stop command) fails the backup before anything is stored and starts the server again; a home
 * whose small files' blocks do not fit, a disk that fills during the copy made before the stop, and a home on a
 * read-only filesystem fall back to 'full' with a warning. They need mount (root); elsewhere they are skipped.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeDbHome } from '../../support/e2e-restore.js'
import { Input, Output } from '../../../src/settings/inputs.js'
import { SNAPSHOT_DIR_PREFIX } from '../../../src/format/snapshot-dir.js'
import { Cleanup, shellQuote } from '../../support/guard-fixtures.js'
import { standIn, type StandIn } from '../../support/standin-server.js'
import { run, runFailing, type Inputs } from '../../support/run-job.js'
import { setRacyWindowForTests } from '../../../src/snapshot/racy-window.js'

const cleanup = new Cleanup()
let tmp: string
let fsRoot: string
let home: string
let server: StandIn
const mounts: string[] = []

function mount(args: string[], at: string): void {
  execFileSync('mount', [...args, at])
  mounts.unshift(at)
}

const canMount = ((): boolean => {
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' })
    return process.getuid?.() === 0
  } catch {
    return false
  }
})()
const describeIfMount = canMount ? describe : describe.skip

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xlr-mindown-fs-'))
  fsRoot = path.join(tmp, 'fs')
  await mkdir(fsRoot)
  // Room for the home and the snapshot's margin, not much more.
  mount(['-t', 'tmpfs', '-o', 'size=80m', 'tmpfs'], fsRoot)
  const made = await makeDbHome(path.join(fsRoot, 'home'), {})
  home = made.dir
  server = await standIn(tmp, home, made.port, cleanup)
  await server.start()
})
// The home was written moments ago: with no racy window, only what the tests change is copied during the stop.
beforeAll(() => setRacyWindowForTests(0n))
afterAll(() => setRacyWindowForTests(null))
afterEach(async () => {
  await cleanup.run()
  for (const at of mounts.splice(0)) execFileSync('umount', [at])
  await rm(tmp, { recursive: true, force: true })
})

function inputs(over: Inputs): Inputs {
  return {
    [Input.Mode]: 'backup',
    [Input.Home]: home,
    [Input.Storage]: 'directory',
    [Input.Path]: path.join(tmp, 'store'),
    [Input.Name]: 'space',
    [Input.Database]: 'none',
    [Input.StopCommand]: server.stopCommand,
    [Input.StartCommand]: server.startCommand(),
    [Input.StopTimeout]: '20',
    [Input.StartTimeout]: '20',
    ...over
  }
}

async function leftovers(): Promise<string[]> {
  const inHome = (await readdir(home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))
  const stored = await readdir(path.join(tmp, 'store')).catch(() => [] as string[])
  return [...inHome, ...stored]
}

describeIfMount('downtime: minimal on a filesystem that lets it down', () => {
  test('the disk fills while the server stops: nothing stored, the server started again, no snapshot left', async () => {
    const filler = shellQuote(path.join(fsRoot, 'filler'))
    // The server writes a file after the copy made before the stop: the stop has to copy it, on a full disk.
    const written = shellQuote(path.join(home, 'repository-written-at-stop.bin'))
    const stopAndFill =
      `dd if=/dev/zero of=${written} bs=1M count=1 status=none && ${server.stopCommand} && ` +
      `{ dd if=/dev/zero of=${filler} bs=1M status=none 2>/dev/null; true; }`
    const { error } = await runFailing(inputs({ [Input.StopCommand]: stopAndFill }))
    expect(error.message).toMatch(/snapshot failed: the filesystem is full/)
    expect(await server.running()).toBe(true)
    expect(await leftovers()).toEqual([])
  })

  test('many small files: their blocks, not their bytes, are what the space check weighs (full, with a warning)', async () => {
    // 20 480 one-byte files: 20 KiB of bytes, 80 MiB of 4 KiB blocks, more than the 160 MiB filesystem has left
    // beside the 64 MiB margin. Counted in bytes, the copy would fill the disk the running server writes to.
    execFileSync('mount', ['-o', 'remount,size=160m', fsRoot])
    for (let d = 0; d < 80; d++) {
      const dir = path.join(home, 'repository/blobs', String(d))
      mkdirSync(dir, { recursive: true })
      for (let f = 0; f < 256; f++) writeFileSync(path.join(dir, String(f)), 'x')
    }
    const { result, logger } = await run(inputs({}))
    const warnings = logger.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings.join('\n')).toMatch(
      /'downtime: minimal' is not possible: .*the home's filesystem has [\d.]+ MiB free and a copied snapshot of the home \(.*\) needs about [\d.]+ MiB: free [\d.]+ (KiB|MiB) more/
    )
    expect(logger.lines.map(l => l.message).join('\n')).not.toMatch(/Copied the home into/)
    expect(result.summary.facts.find(([k]) => k === 'Server downtime')?.[1]).toMatch(/downtime: full/)
    expect(result.outputs[Output.BackupName]).toBe('space.zip')
    expect(await server.running()).toBe(true)
    expect((await readdir(home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))).toEqual([])
  })

  test('too few free inodes for the snapshot: full, with a warning naming them, before anything is copied', async () => {
    const dir = path.join(home, 'repository/blobs')
    mkdirSync(dir, { recursive: true })
    for (let f = 0; f < 3000; f++) writeFileSync(path.join(dir, String(f)), '')
    // Bytes and blocks to spare (empty files take none), but 5 000 inodes left: fewer than 3 000 + the 4 096 kept free.
    const used = Number(execFileSync('df', ['--output=iused', fsRoot], { encoding: 'utf8' }).trim().split('\n')[1])
    execFileSync('mount', ['-o', `remount,nr_inodes=${used + 5000}`, fsRoot])
    const { result, logger } = await run(inputs({}))
    const warnings = logger.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings.join('\n')).toMatch(
      /'downtime: minimal' is not possible: .*the home's filesystem has \d+ free inodes and a snapshot of the home needs \d+ \(one per file, folder and link\) and 4096 more left for the server/
    )
    expect(logger.lines.map(l => l.message).join('\n')).not.toMatch(/Copied the home into/)
    expect(result.summary.facts.find(([k]) => k === 'Server downtime')?.[1]).toMatch(/downtime: full/)
    expect(await server.running()).toBe(true)
    expect((await readdir(home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))).toEqual([])
  })

  test('the disk fills during the copy before the stop: the backup runs as full, with a warning naming the space', async () => {
    // Room for the copy when it is planned; then, once it has begun, the disk is full, as if the running server
    // had filled it: the filesystem is shrunk to what it holds at that moment.
    execFileSync('mount', ['-o', 'remount,size=1g', fsRoot])
    writeFileSync(path.join(home, 'repository/big.bin'), Buffer.alloc(300 * 1024 * 1024, 1))
    const copyBegun = `ls -d ${shellQuote(home)}/${SNAPSHOT_DIR_PREFIX}*/home/repository >/dev/null 2>&1`
    const filler = await cleanup.spawn(
      'bash',
      [
        '-c',
        // A size below what the copy has written by the time mount runs is refused: try again with a fresh figure.
        `until ${copyBegun}; do sleep 0.005; done; for i in $(seq 100); do ` +
          `used=$(df -B1 --output=used ${shellQuote(fsRoot)} | tail -1); ` +
          `mount -o remount,size=$((used + 4194304)) ${shellQuote(fsRoot)} 2>/dev/null && exit 0; done; exit 1`
      ],
      tmp
    )
    const filled = new Promise(resolve => filler.once('exit', resolve))
    const { result, logger } = await run(inputs({}))
    expect(await filled).toBe(0)
    const warnings = logger.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings.join('\n')).toMatch(
      /'downtime: minimal' is not possible: .*filesystem filled up while the home \(.*\) was copied before the stop \([\d.]+ MiB free without that copy\)/
    )
    expect(result.summary.facts.find(([k]) => k === 'Server downtime')?.[1]).toMatch(/downtime: full/)
    expect(result.outputs[Output.BackupName]).toBe('space.zip')
    expect(await server.running()).toBe(true)
    expect((await readdir(home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))).toEqual([])
  })

  test('a home on a read-only filesystem falls back to full downtime, with a warning', async () => {
    mount(['--bind', home], home)
    execFileSync('mount', ['-o', 'remount,bind,ro', home])
    const { result, logger } = await run(inputs({}))
    const warnings = logger.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings.join('\n')).toMatch(
      /'downtime: minimal' is not possible: .*staging folder .* cannot be created \(EROFS/
    )
    expect(warnings.join('\n')).toMatch(/read-only filesystem: the backup runs without its lock file/)
    expect(result.outputs[Output.BackupName]).toBe('space.zip')
    expect(await server.running()).toBe(true)
  })

  test('free space short of the copy: the warning says how much more is needed, and the backup runs in full', async () => {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(fsRoot, 'filler')}`, 'bs=1M', 'count=60', 'status=none'])
    const { logger } = await run(inputs({}))
    const warnings = logger.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings.join('\n')).toMatch(/needs about [\d.]+ MiB: free [\d.]+ MiB more/)
    expect(logger.lines.map(l => l.message).join('\n')).toMatch(/downtime: full/)
  })

  test('a restore whose staging copy does not fit is refused while the server still runs', async () => {
    await run(inputs({ [Input.Downtime]: 'full' }))
    // Less free than the 64 MiB the restore keeps beside its staging copy.
    writeFileSync(path.join(fsRoot, 'filler'), Buffer.alloc(24 * 1024 * 1024, 1))
    const { error, logger } = await runFailing(inputs({ [Input.Mode]: 'restore', [Input.Components]: 'all' }))
    expect(error.message).toMatch(/Not enough free space to restore: .*Nothing was changed/s)
    const log = logger.lines.map(l => l.message).join('\n')
    // The guard found the server up, and the refusal came before its stop-command ran.
    expect(log).toMatch(/Process probe: .*1 look like XL Release/)
    expect(log).not.toMatch(/stopping it for the restore/)
    expect(await server.running()).toBe(true)
  })
})
