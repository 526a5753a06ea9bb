/**
 * A restore that brings a server back: the files get the owners the backup recorded (or the 'owner' input), so a
 * server running as its own user can write its home; a database is never left next to another keystore; a drill
 * (or 'maintenance-mode: true') starts in maintenance mode. Real users (useradd), real chown as root, a process
 * running as that user, a real PostgreSQL database, and the restored conf read back by the project's HOCON reader.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { openBackupArchive } from '../../../src/archive/backup-archive.js'
import { getValue, parseHoconFile } from '../../../src/home/hocon.js'
import { WORK_DIR_PREFIX } from '../../../src/format/restore-work-dir.js'
import { Input } from '../../../src/settings/inputs.js'
import { InputError } from '../../../src/shared/errors.js'
import { sha256File } from '../../support/hash.js'
import {
  checksums,
  exactTree,
  reseal,
  rewriteManifest,
  run,
  runFailing,
  type Inputs,
  useDbHome
} from '../../support/e2e-restore.js'

const root = process.getuid?.() === 0
const fx = useDbHome('xlr-e2e-owners-', 'owners')
/** Test users, made here (idempotent: a user left by an earlier run is reused) and removed after. */
const SERVER_USER = 'xlrt-server'
const OTHER_USER = 'xlrt-other'
let drills: string

function ensureUser(name: string): { uid: number; gid: number } {
  const ids = (): string[] => execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')
  try {
    ids()
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name])
  }
  const [, , uid, gid] = ids()
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * Every entry of `dir` (itself included) with an owner other than `uid:gid`, as 'path uid:gid'; the restore's own
 * record of what it replaced (.xlr-restore-*, private to the one who ran it) is not the server's.
 */
async function ownedOtherwise(dir: string, uid: number, gid: number): Promise<string[]> {
  const out: string[] = []
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p)
    if (st.uid !== uid || st.gid !== gid) out.push(`${p} ${st.uid}:${st.gid}`)
    if (!st.isDirectory()) return
    for (const name of await readdir(p)) if (!name.startsWith(WORK_DIR_PREFIX)) await walk(path.join(p, name))
  }
  await walk(dir)
  return out
}

/** Whether a process running as `uid:gid` (no other groups) can create a file in `dir`. */
function canWriteAs(uid: number, gid: number, dir: string): boolean {
  const child = spawnSync('sh', ['-c', 'echo written > "$1/written-by-server"', 'sh', dir], { uid, gid })
  return child.status === 0
}

function restore(over: Inputs): Inputs {
  return fx.inputs({ [Input.Mode]: 'restore', ...over })
}

const keystore = (): string => path.join(fx.home, 'conf/repository-keystore.jceks')

beforeAll(async () => {
  // Drill homes live where another user can reach them (the fixture's folder is owner-only).
  drills = await mkdtemp(path.join(os.tmpdir(), 'xlr-owners-drills-'))
  await chmod(drills, 0o755)
  if (!root) return
  const server = ensureUser(SERVER_USER)
  execFileSync('chown', ['-R', `${server.uid}:${server.gid}`, fx.home])
  await run(fx.inputs({ [Input.Mode]: 'backup' }))
})

afterAll(async () => {
  await rm(drills, { recursive: true, force: true })
  for (const user of [SERVER_USER, OTHER_USER]) spawnSync('userdel', [user])
})

const asRoot = root ? describe : describe.skip
if (!root) test.todo('owners and keystore: these tests chown files and create users, so they need root')

asRoot('owners', () => {
  test('the manifest records each entry owner once, in a table, with the names', async () => {
    const archive = await openBackupArchive(path.join(fx.store, 'owners.zip'))
    try {
      const { owners, files } = archive.manifest
      const server = ensureUser(SERVER_USER)
      const row = owners!.findIndex(o => o.uid === server.uid)
      expect(owners![row]).toEqual({ uid: server.uid, gid: server.gid, user: SERVER_USER, group: SERVER_USER })
      expect([...files].filter(f => f.path.startsWith('home/')).every(f => f.owner === row)).toBe(true)
    } finally {
      await archive.close()
    }
  })

  test('a restore as root gives every file its recorded owner: the server user can write its repository', async () => {
    const server = ensureUser(SERVER_USER)
    const home = path.join(drills, 'recorded')
    const { result } = await run(restore({ [Input.Home]: home, [Input.Components]: 'all', [Input.Database]: 'none' }))
    expect(await ownedOtherwise(home, server.uid, server.gid)).toEqual([])
    expect(canWriteAs(server.uid, server.gid, path.join(home, 'repository'))).toBe(true)
    const facts = Object.fromEntries(result.summary!.facts)
    expect(facts['Owner of the restored files']).toContain(
      `${SERVER_USER}:${SERVER_USER} (${server.uid}:${server.gid})`
    )
  })

  test("'owner' gives every file another owner, numbers as given", async () => {
    const other = ensureUser(OTHER_USER)
    const home = path.join(drills, 'given')
    await run(
      restore({
        [Input.Home]: home,
        [Input.Components]: 'all',
        [Input.Database]: 'none',
        [Input.Owner]: `${OTHER_USER}:0`
      })
    )
    expect(await ownedOtherwise(home, other.uid, 0)).toEqual([])
    expect(canWriteAs(other.uid, other.gid, path.join(home, 'repository'))).toBe(true)
    expect(canWriteAs(ensureUser(SERVER_USER).uid, ensureUser(SERVER_USER).gid, path.join(home, 'repository'))).toBe(
      false
    )
  })

  test('a recorded name this host knows wins over the recorded number (ids differ between hosts)', async () => {
    const server = ensureUser(SERVER_USER)
    const name = 'owners-renumbered'
    const file = path.join(fx.store, `${name}.zip`)
    rewriteManifest(path.join(fx.store, 'owners.zip'), file, "for o in m['owners']:\n    o['uid'] = o['uid'] + 40000")
    await reseal(file)
    const home = path.join(drills, 'renumbered')
    await run(restore({ [Input.Name]: name, [Input.Home]: home, [Input.Components]: 'conf', [Input.Database]: 'none' }))
    expect(await ownedOtherwise(path.join(home, 'conf'), server.uid, server.gid)).toEqual([])
  })

  test("an 'owner' this host does not have is refused before anything is made", async () => {
    const home = path.join(drills, 'no-such-owner')
    const { error } = await runFailing(
      restore({ [Input.Home]: home, [Input.Database]: 'none', [Input.Owner]: 'xlrt-nobody:0' })
    )
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('owner')
    expect(error.message).toContain('"xlrt-nobody", which this host does not have')
    await expect(lstat(home)).rejects.toThrow(/ENOENT/)
  })
})

asRoot('keystore coherence', () => {
  test('the backup records the keystore fingerprint with the dump', async () => {
    const archive = await openBackupArchive(path.join(fx.store, 'owners.zip'))
    try {
      const dumped = archive.manifest.databases.filter(d => d.dump)
      expect(dumped.length).toBeGreaterThan(0)
      for (const d of dumped) expect(d.keystoreSha256).toBe(await sha256File(keystore()))
    } finally {
      await archive.close()
    }
  })

  describe('with another keystore in the home', () => {
    let original: Buffer
    beforeEach(async () => {
      original = await readFile(keystore())
      await writeFile(keystore(), 'a keystore generated by a fresh container')
    })
    afterEach(async () => {
      await writeFile(keystore(), original)
    })

    test.each([
      [
        'the databases without conf',
        'databases',
        /the repository database is restored from a dump made next to sha256:/
      ],
      [
        'conf without the databases',
        'conf',
        /the backup's conf\/ brings sha256:\w+, but the databases are not restored/
      ]
    ])('%s: refused naming both fingerprints, nothing changed', async (_label, components, problem) => {
      const before = { tree: await exactTree(fx.home), tables: await checksums('postgresql', fx.repoDb) }
      const { error } = await runFailing(restore({ [Input.Components]: components }))
      expect((error as InputError).input).toBe('allow-keystore-mismatch')
      expect(error.message).toMatch(problem)
      const fingerprints = [createHash('sha256').update(original).digest('hex'), await sha256File(keystore())].map(
        h => `sha256:${h.slice(0, 16)}`
      )
      for (const f of fingerprints) expect(error.message).toContain(f)
      expect(error.message).toContain('none of them can be read')
      expect(await exactTree(fx.home)).toBe(before.tree)
      expect(await checksums('postgresql', fx.repoDb)).toEqual(before.tables)
    })

    test("'allow-keystore-mismatch: true' goes on with a warning", async () => {
      const { result, logger } = await run(
        restore({ [Input.Components]: 'databases', [Input.AllowKeystoreMismatch]: 'true', [Input.DryRun]: 'true' })
      )
      expect(
        logger.lines
          .filter(l => l.level === 'warning')
          .map(l => l.message)
          .join('\n')
      ).toContain('KEYSTORE MISMATCH')
      expect(Object.fromEntries(result.summary!.facts).Keystore).toContain('MISMATCH allowed')
    })
  })

  test('the same keystore: the databases restore, and the summary shows its fingerprint', async () => {
    const { result } = await run(restore({ [Input.Components]: 'databases' }))
    const shown = `sha256:${(await sha256File(keystore())).slice(0, 16)}`
    expect(Object.fromEntries(result.summary!.facts).Keystore).toContain(shown)
  })
})

asRoot('maintenance mode', () => {
  const enabled = (home: string): unknown =>
    getValue(
      parseHoconFile(path.join(home, 'conf/xl-release.conf'), {
        unresolved: 'keep',
        classpathDirs: [path.join(home, 'conf')]
      }),
      'xl.maintenance.enabled'
    )
  /** A restore of `components` into the new home `home`, without databases, with `over`. */
  const restoreInto = (home: string, components: string, over: Inputs = {}): Inputs =>
    restore({ [Input.Home]: home, [Input.Components]: components, [Input.Database]: 'none', ...over })

  test("'maintenance-mode: true' sets it in the restored conf of a plain restore, read back by the HOCON reader", async () => {
    const home = path.join(drills, 'maintenance')
    const { result } = await run(restoreInto(home, 'conf', { [Input.MaintenanceMode]: 'true' }))
    expect(enabled(home)).toBe(true)
    expect(Object.fromEntries(result.summary!.facts)['Maintenance mode']).toMatch(/^on .*to leave it/)
    // The rewritten file keeps its recorded owner.
    expect((await lstat(path.join(home, 'conf/xl-release.conf'))).uid).toBe(ensureUser(SERVER_USER).uid)
  })

  test('a plain restore leaves it alone', async () => {
    const home = path.join(drills, 'plain')
    await run(restoreInto(home, 'conf'))
    expect(enabled(home)).toBeUndefined()
  })

  test("'maintenance-mode: true' without conf is refused before anything is made", async () => {
    const home = path.join(drills, 'maintenance-no-conf')
    const { error } = await runFailing(restoreInto(home, 'lib', { [Input.MaintenanceMode]: 'true' }))
    expect((error as InputError).input).toBe('maintenance-mode')
    await expect(lstat(home)).rejects.toThrow(/ENOENT/)
  })
})
