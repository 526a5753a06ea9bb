import { chmod, chown, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import * as path from 'node:path'
import type { FileRecord, OwnerRecord } from '../../src/format/manifest.js'
import { planOwners, withOwners, type OwnedFiles, type OwnerPlan } from '../../src/commands/restore/restore-owners.js'
import type { Extractor } from '../../src/restore-engine/types.js'
import { InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'

/** Ids no host gives a name to, so the recorded numbers are kept as they are. */
const SERVER: OwnerRecord = { uid: 3_999_001, gid: 3_999_001, user: null, group: null }
const files: FileRecord[] = [
  { path: 'home/', type: 'directory', mode: 0o755, mtime: 0, size: 0, owner: 0 },
  { path: 'home/conf/', type: 'directory', mode: 0o755, mtime: 0, size: 0, owner: 0 }
]
const warnings = (logger: MemoryLogger): string =>
  logger.lines
    .filter(l => l.level === 'warning')
    .map(l => l.message)
    .join('\n')

describe('planOwners, not running as root', () => {
  const runner = { uid: 1001, gid: 1001 }

  it('warns that the recorded owners are lost, naming the input and the command that fix it', async () => {
    const logger = new MemoryLogger()
    const plan = await planOwners({ files, owners: [SERVER] }, null, logger, runner)
    expect(plan.mapping).toBeNull()
    expect(plan.description).toContain("the runner's user (1001:1001), not root")
    expect(warnings(logger)).toContain('The backup recorded owners 3999001:3999001 (3999001:3999001)')
    expect(warnings(logger)).toContain(
      "Run the restore as root (sudo) to give the files their recorded owners (or 'owner: user:group'"
    )
    expect(warnings(logger)).toContain('sudo chown -R')
  })

  it('says nothing when the runner is the recorded owner, or the backup records none', async () => {
    const logger = new MemoryLogger()
    await planOwners({ files, owners: [{ ...SERVER, uid: 1001, gid: 1001 }] }, null, logger, runner)
    const old = await planOwners({ files: files.map(({ owner: _o, ...f }) => f) }, null, logger, runner)
    expect(warnings(logger)).toBe('')
    expect(old.description).toContain('the backup records no owners')
  })

  it("refuses an 'owner' it cannot give, before anything changes", async () => {
    const attempt = planOwners({ files }, { user: 10001, group: 0 }, new MemoryLogger(), runner)
    await expect(attempt).rejects.toThrow(InputError)
    await expect(attempt).rejects.toThrow(/only root can give files away/)
  })
})

describe('planOwners as root', () => {
  it('maps each recorded row by number when the host has no such name', async () => {
    const plan = await planOwners({ files, owners: [SERVER] }, null, new MemoryLogger(), { uid: 0, gid: 0 })
    expect(plan.mapping).toEqual({ kind: 'rows', rows: [{ uid: 3_999_001, gid: 3_999_001 }] })
  })
  it("takes 'owner' numbers as given, even without a name on this host", async () => {
    const plan = await planOwners({ files }, { user: 10001, group: 0 }, new MemoryLogger(), { uid: 0, gid: 0 })
    expect(plan.mapping).toEqual({ kind: 'fixed', uid: 10001, gid: 0 })
  })
})

describe('withOwners, staging as root', () => {
  const asRoot = process.getuid?.() === 0 ? it : it.skip
  let tmp: string
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'owners-'))
  })
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true })
  })

  /** Creates the component as an extraction does: every folder and file new, made by this process. */
  const creating = (names: string[]): Extractor => ({
    async extract(_prefix: string, dest: string): Promise<void> {
      await mkdir(dest)
      for (const name of names) {
        if (name.endsWith('/')) await mkdir(path.join(dest, name))
        else await writeFile(path.join(dest, name), 'x')
      }
    }
  })
  const records = (owner: (name: string) => number): OwnedFiles => {
    const list: FileRecord[] = [
      'home/repository/',
      'home/repository/a/',
      'home/repository/a/b.xml',
      'home/repository/c.xml'
    ].map(p => ({
      path: p,
      type: p.endsWith('/') ? 'directory' : 'file',
      mode: 0o755,
      mtime: 0,
      size: 0,
      owner: owner(p)
    }))
    return { under: prefix => list.filter(f => f.path.startsWith(prefix)) }
  }
  const ownersUnder = async (dest: string): Promise<string[]> => {
    const out: string[] = []
    for (const name of ['', 'a', 'a/b.xml', 'c.xml']) {
      const st = await lstat(path.join(dest, name))
      out.push(`${name || '.'} ${st.uid}:${st.gid}`)
    }
    return out
  }

  asRoot("gives root's files root's group even where a set-group-id folder handed them another", async () => {
    const staging = path.join(tmp, 'staging')
    await mkdir(staging)
    await chown(staging, 0, 1)
    await chmod(staging, 0o2775)
    const dest = path.join(staging, 'repository')
    const plan: OwnerPlan = { mapping: { kind: 'rows', rows: [{ uid: 0, gid: 0 }] }, description: '' }
    const extractor = withOwners(
      creating(['a/', 'a/b.xml', 'c.xml']),
      records(() => 0),
      plan,
      null
    )
    await extractor.extract('home/repository/', dest)
    expect(await ownersUnder(dest)).toEqual(['. 0:0', 'a 0:0', 'a/b.xml 0:0', 'c.xml 0:0'])
  })

  asRoot('gives each entry its own recorded owner when they differ', async () => {
    const dest = path.join(tmp, 'repository')
    const rows = [
      { uid: 0, gid: 0 },
      { uid: SERVER.uid, gid: SERVER.gid }
    ]
    const plan: OwnerPlan = { mapping: { kind: 'rows', rows }, description: '' }
    const owner = (p: string): number => (p.endsWith('b.xml') ? 1 : 0)
    await withOwners(creating(['a/', 'a/b.xml', 'c.xml']), records(owner), plan, null).extract('home/repository/', dest)
    expect(await ownersUnder(dest)).toEqual(['. 0:0', 'a 0:0', `a/b.xml ${SERVER.uid}:${SERVER.gid}`, 'c.xml 0:0'])
  })
})
