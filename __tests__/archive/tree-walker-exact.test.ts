import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { walkTree, type TreeEntry } from '../../src/archive/tree-walker.js'

let tmp: string
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'walker-exact-'))
  await mkdir(path.join(tmp, 'conf'))
  await writeFile(path.join(tmp, 'conf/a.conf'), 'a')
  await writeFile(path.join(tmp, 'old.bin'), 'old')
  await symlink('conf/a.conf', path.join(tmp, 'link'))
  // Fractions of a millisecond, and a time before 1970 (negative seconds, positive nanoseconds in the kernel).
  await utimes(path.join(tmp, 'conf/a.conf'), 1_700_000_000.123456, 1_700_000_000.123456)
  // utimes takes a negative time for now: touch sets it.
  execFileSync('touch', ['-d', '@-1.25', path.join(tmp, 'old.bin')])
})
afterEach(async () => rm(tmp, { recursive: true, force: true }))

async function walk(exactStats: boolean): Promise<TreeEntry[]> {
  const out: TreeEntry[] = []
  for await (const entry of walkTree(tmp, { exactStats })) out.push(entry)
  return out
}

test('with exact stats the walk yields the very entries of a plain walk, mtimes to the last bit, plus the bigint lstat', async () => {
  const exact = await walk(true)
  expect(exact.map(({ exact: _exact, ...entry }) => entry)).toEqual(await walk(false))
  for (const entry of exact) {
    expect(entry.exact?.ino).toEqual(expect.any(BigInt))
    expect((entry.exact?.mode ?? -1) & 0o7777).toBe(entry.mode)
  }
  expect(exact.find(e => e.rel === 'old.bin')?.exact?.mtimeNs).toBe(-1_250_000_000n)
})
