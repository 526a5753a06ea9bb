/**
 * The two passes of a home snapshot on a real filesystem: a copy made while the server runs, then brought to the
 * moment of the stop by copying only what changed. After every kind of change a running server (or an administrator)
 * can make, the snapshot must equal the home byte for byte, and its recorded metadata must be the second walk's.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises'
import { appendFile, open } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { ExcludeMatcher } from '../../src/archive/exclude.js'
import { walkTree, type TreeEntry } from '../../src/archive/tree-walker.js'
import { SNAPSHOT_DIR_PREFIX } from '../../src/format/snapshot-dir.js'
import { cancellation } from '../../src/lifecycle/cancel.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { copyTree } from '../../src/snapshot/copy-tree.js'
import { planHomeSnapshot } from '../../src/snapshot/home-snapshot.js'
import { setRacyWindowForTests } from '../../src/snapshot/racy-window.js'
import { updateSnapshot, type RecordedMetadata } from '../../src/snapshot/update-snapshot.js'
import { treeState } from '../support/restore-fixtures.js'

// As the backup excludes them: what it does not archive, and the staging folders of snapshots.
const exclude = ExcludeMatcher.parse(['log/', `${SNAPSHOT_DIR_PREFIX}*/`])
const HOUR_NS = 3600n * 1_000_000_000n
let tmp: string
let home: string
let target: string

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'update-snapshot-'))
  home = path.join(tmp, 'home')
  target = path.join(tmp, 'snapshot')
  const files: Record<string, string | Buffer> = {
    'conf/a.conf': 'a\n',
    'conf/b.conf': 'b\n',
    'repository/journal.log': 'entry 1\n',
    'repository/db/xlr.mv.db': Buffer.alloc(64 * 1024, 7),
    'repository/doomed.bin': 'removed by the server',
    'repository/old-name.tmp': 'index after the rename!',
    'repository/index.dat': 'index before the rename',
    'folder-to-file/inner/deep.txt': 'a folder that becomes a file',
    'file-to-folder': 'a file that becomes a folder',
    'gone/nested/file.txt': 'a folder removed with its contents',
    'bin/run.sh': '#!/bin/sh\n',
    'lib/unchanged.jar': Buffer.alloc(128 * 1024, 1),
    'log/server.log': 'excluded'
  }
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(home, rel)), { recursive: true })
    await writeFile(path.join(home, rel), content)
  }
  await chmod(path.join(home, 'bin/run.sh'), 0o644)
  await symlink('conf/a.conf', path.join(home, 'current.conf'))
  await symlink('conf/a.conf', path.join(home, 'link-to-file'))
  await utimes(path.join(home, 'repository/db/xlr.mv.db'), 1_700_000_000.123456, 1_700_000_000.123456)
  await nextClockTick()
})
afterEach(async () => {
  setRacyWindowForTests(null)
  await rm(tmp, { recursive: true, force: true })
})

/**
 * Waits until the filesystem's clock has moved past the ctime of everything written so far: with a racy window of 0,
 * a change made in the very tick of the files' creation would leave their stat as it was (the case the window
 * exists for), and these tests check the stat comparison, not the window.
 */
async function nextClockTick(): Promise<void> {
  const probe = path.join(tmp, 'tick-probe')
  await writeFile(probe, '')
  const first = (await lstat(probe, { bigint: true })).ctimeNs
  for (;;) {
    await writeFile(probe, 'x')
    if ((await lstat(probe, { bigint: true })).ctimeNs > first) break
  }
  await rm(probe)
}

async function walked(root: string, recordedAs?: (rel: string) => ReturnType<RecordedMetadata['get']>) {
  const out: Omit<TreeEntry, 'abs' | 'exact'>[] = []
  for await (const { abs: _abs, ...entry } of walkTree(root, { exclude, recordedAs })) out.push(entry)
  return out
}

/** The home as the backup sees it (excluded folders left out), folders without their modes (owner-only copies). */
async function contents(root: string): Promise<Map<string, string>> {
  return new Map([...(await archived(root))].filter(([, v]) => !v.startsWith('dir ')))
}

async function kinds(root: string): Promise<Map<string, string>> {
  return new Map([...(await archived(root))].map(([rel, v]) => [rel, v.split(' ')[0]] as [string, string]))
}

async function archived(root: string): Promise<Map<string, string>> {
  const state = await treeState(root)
  return new Map([...state].filter(([rel]) => !exclude.excludes(rel.split('/')[0], true)))
}

/** Every change the brief of the second pass names, made after the pre-copy. */
async function changeEverything(): Promise<void> {
  const h = (rel: string): string => path.join(home, rel)
  await appendFile(h('repository/journal.log'), 'entry 2\n')
  // An H2 store rewritten in place, same size, its mtime put back: only the ctime shows it.
  const db = await open(h('repository/db/xlr.mv.db'), 'r+')
  await db.write(Buffer.from('PAGE'), 0, 4, 4096)
  await db.close()
  await utimes(h('repository/db/xlr.mv.db'), 1_700_000_000.123456, 1_700_000_000.123456)
  await writeFile(h('repository/created.txt'), 'new\n')
  await mkdir(h('new-folder/sub'), { recursive: true })
  await writeFile(h('new-folder/sub/new.txt'), 'new in a new folder\n')
  await unlink(h('repository/doomed.bin'))
  await rm(h('folder-to-file'), { recursive: true })
  await writeFile(h('folder-to-file'), 'now a file\n')
  await unlink(h('file-to-folder'))
  await mkdir(h('file-to-folder'))
  await writeFile(h('file-to-folder/child.txt'), 'in the folder that was a file\n')
  await rm(h('gone'), { recursive: true })
  await unlink(h('current.conf'))
  await symlink('conf/b.conf', h('current.conf'))
  await unlink(h('link-to-file'))
  await writeFile(h('link-to-file'), 'was a link\n')
  await chmod(h('bin/run.sh'), 0o755)
  await rename(h('repository/old-name.tmp'), h('repository/index.dat'))
}

test('after every kind of change, the second pass gives the home byte for byte, copying only what changed', async () => {
  const pre = await copyTree(home, target, exclude, 0n)
  expect(pre.racy).toBe(0)
  await changeEverything()

  const updated = await updateSnapshot(home, target, exclude, pre)

  expect(await contents(target)).toEqual(await contents(home))
  expect(await kinds(target)).toEqual(await kinds(home))
  expect(await walked(target, rel => updated.recorded.get(rel))).toEqual(await walked(home))
  // journal, H2 store, created, new.txt, folder-to-file, child.txt, link-to-file, run.sh, index.dat.
  expect(updated.copied).toBe(9)
  expect(updated.racy).toBe(0)
  // new-folder, new-folder/sub, file-to-folder, current.conf.
  expect(updated.remade).toBe(4)
  // doomed.bin, gone (with what it held), old-name.tmp.
  expect(updated.removed).toBe(3)
  expect(updated.files).toBe((await walked(home)).filter(e => e.kind === 'file').length)
})

test('the recorded metadata is the second walk’s: a chmod and an mtime set after the pre-copy are what the archive records', async () => {
  const pre = await copyTree(home, target, exclude, 0n)
  await chmod(path.join(home, 'conf/a.conf'), 0o600)
  await utimes(path.join(home, 'lib/unchanged.jar'), 1_600_000_000.5, 1_600_000_000.5)

  const updated = await updateSnapshot(home, target, exclude, pre)

  expect(updated.recorded.get('conf/a.conf')?.mode).toBe(0o600)
  expect(updated.recorded.get('lib/unchanged.jar')?.mtimeMs).toBe(1_600_000_000_500)
  expect(await walked(target, rel => updated.recorded.get(rel))).toEqual(await walked(home))
})

test('a racy file is copied again though its stat is unchanged; outside the window, the stat alone decides', async () => {
  // The snapshot's copy is altered behind the stat's back: what a write in the same clock tick, or through a dirty
  // shared mapping, does to the source without changing its stat.
  const tamper = (): Promise<void> => writeFile(path.join(target, 'lib/unchanged.jar'), 'not what the home holds')

  const racy = await copyTree(home, target, exclude, HOUR_NS)
  expect(racy.racy).toBe(racy.files)
  await tamper()
  const again = await updateSnapshot(home, target, exclude, racy)
  expect(again.racy).toBe(racy.files)
  expect(await contents(target)).toEqual(await contents(home))

  await rm(target, { recursive: true })
  const settled = await copyTree(home, target, exclude, 0n)
  await tamper()
  const kept = await updateSnapshot(home, target, exclude, settled)
  expect(kept.copied).toBe(0)
  expect((await contents(target)).get('lib/unchanged.jar')).not.toEqual((await contents(home)).get('lib/unchanged.jar'))
})

test('planHomeSnapshot copies the home before the stop; a cancel during that copy leaves no staging folder', async () => {
  setRacyWindowForTests(0n)
  const logger = new MemoryLogger()
  const planned = await planHomeSnapshot(home, exclude, logger)
  if ('unavailable' in planned) throw new Error(planned.unavailable)
  expect(logger.lines.map(l => l.message).join('\n')).toMatch(/Copied the home into .* while the server runs: 12 files/)
  await appendFile(path.join(home, 'repository/journal.log'), 'entry 2\n')
  const snapshot = await planned.take()
  expect(snapshot.copied).toBe(1)
  expect(await contents(snapshot.root)).toEqual(await contents(home))
  await planned.remove()
  expect((await readdir(home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))).toEqual([])

  cancellation.cancel('SIGTERM')
  try {
    await expect(planHomeSnapshot(home, exclude, new MemoryLogger())).rejects.toThrow(/cancelled/)
  } finally {
    cancellation.reset()
  }
  expect((await readdir(home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))).toEqual([])
})
