import type { FileRecord, OwnerRecord } from '../../src/format/manifest.js'
import { planOwners } from '../../src/commands/restore/restore-owners.js'
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
