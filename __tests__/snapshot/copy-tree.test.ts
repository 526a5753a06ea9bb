import { chmod, lstat, mkdir, mkdtemp, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { ExcludeMatcher } from '../../src/archive/exclude.js'
import { walkTree, type TreeEntry } from '../../src/archive/tree-walker.js'
import { copyTree } from '../../src/snapshot/copy-tree.js'
import { updateSnapshot } from '../../src/snapshot/update-snapshot.js'
import { cancellation } from '../../src/lifecycle/cancel.js'
import { treeState } from '../support/restore-fixtures.js'

let tmp: string
let source: string
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'copy-tree-'))
  source = path.join(tmp, 'home')
  await mkdir(path.join(source, 'conf'), { recursive: true })
  await mkdir(path.join(source, 'log'), { recursive: true })
  await mkdir(path.join(source, 'lib/empty'), { recursive: true })
  await writeFile(path.join(source, 'conf/xl-release.conf'), 'xl {}\n')
  await writeFile(path.join(source, 'bin.sh'), '#!/bin/sh\n')
  await chmod(path.join(source, 'bin.sh'), 0o750)
  await writeFile(path.join(source, 'log/server.log'), 'excluded\n')
  await writeFile(path.join(source, 'lib/big.jar'), Buffer.alloc(3 * 1024 * 1024, 1))
  await symlink('../conf/xl-release.conf', path.join(source, 'lib/conf-link'))
  await symlink('/nowhere/at/all', path.join(source, 'dangling'))
  await chmod(path.join(source, 'lib/empty'), 0o555)
  await utimes(path.join(source, 'conf/xl-release.conf'), 1_700_000_000.123456, 1_700_000_000.123456)
})
afterEach(async () => rm(tmp, { recursive: true, force: true }))

async function walked(
  root: string,
  recordedAs?: (rel: string) => Pick<TreeEntry, 'mode' | 'mtimeMs' | 'uid' | 'gid'> | undefined
) {
  const out: Omit<TreeEntry, 'abs'>[] = []
  for await (const { abs: _abs, ...entry } of walkTree(root, { exclude: ExcludeMatcher.parse(['log/']), recordedAs }))
    out.push(entry)
  return out
}

test('the copy holds the same files, modes and links, leaves out what the backup excludes, and the walk of it with the recorded metadata equals the walk of the source', async () => {
  const target = path.join(tmp, 'snapshot')
  const exclude = ExcludeMatcher.parse(['log/'])
  const pre = await copyTree(source, target, exclude, 0n)
  const copied = await updateSnapshot(source, target, exclude, pre)

  const expected = await treeState(source)
  expected.delete('log')
  expected.delete('log/server.log')
  const got = await treeState(target)
  // Folders are made owner-only; their modes travel in the recorded metadata instead.
  const withoutFolders = (m: Map<string, string>) => new Map([...m].filter(([, v]) => !v.startsWith('dir ')))
  expect(withoutFolders(got)).toEqual(withoutFolders(expected))
  expect(await readlink(path.join(target, 'dangling'))).toBe('/nowhere/at/all')
  expect(pre.files).toBe(3)
  expect(copied.files).toBe(3)
  expect(copied.copied).toBe(0)
  expect(copied.bytes).toBe((await lstat(path.join(source, 'lib/big.jar'))).size + 6 + 10)
  expect(await walked(target, rel => copied.recorded.get(rel))).toEqual(await walked(source))
})

test('a target that exists already is refused, never filled', async () => {
  const target = path.join(tmp, 'snapshot')
  await mkdir(target)
  await expect(copyTree(source, target, ExcludeMatcher.none(), 0n)).rejects.toThrow(
    /Copying the home .* into its snapshot failed: EEXIST/
  )
})

test('a cancelled job stops the copy and says so', async () => {
  cancellation.cancel('SIGTERM')
  try {
    await expect(copyTree(source, path.join(tmp, 'snapshot'), ExcludeMatcher.none(), 0n)).rejects.toThrow(/cancelled/)
  } finally {
    cancellation.reset()
  }
})
