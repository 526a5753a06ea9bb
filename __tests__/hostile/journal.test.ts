import { chmod, cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { RestoreError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import {
  backupTopLevel,
  findInterruptedRestores,
  rollBackInterrupted,
  runRestore,
  selectComponents,
  type JournalStep,
  type RestoreRequest
} from '../../src/restore-engine/index.js'
import type { Journal } from '../../src/restore-engine/types.js'
import {
  FileDatabases,
  FolderExtractor,
  scenariosIn,
  treeHash,
  worldHash,
  writeHome,
  type Scenario
} from '../support/restore-fixtures.js'

/*
 * A journal left in the home is read by the next run and acted on: renames back, rm -rf of its folders, database
 * rollbacks. Anyone who can write into the home (or copies it) can leave one. These journals name things outside
 * the home; every run must refuse them, say which journal and what to do, and touch nothing anywhere.
 */

const scenario = scenariosIn('hostile-journal-')

interface World extends Scenario {
  canary: string
}
async function world(): Promise<World> {
  const s = await scenario()
  const canary = path.join(s.root, 'canary')
  await writeHome(canary, {
    'data/precious.txt': { content: 'must survive' },
    'xlr-restore-1/keep.txt': { content: 'also must survive' },
    'dump.db': { content: 'attacker rows' }
  })
  return { ...s, canary }
}

function request(s: Scenario, over: Partial<RestoreRequest> = {}): RestoreRequest {
  return {
    home: s.home,
    backup: s.backup,
    components: selectComponents('default', backupTopLevel(s.backup.manifest.files), true),
    previousPath: '',
    safetyDump: true,
    resetIndexes: 'auto',
    interrupted: '',
    dryRun: false,
    ...over
  }
}

const deps = (s: Scenario, onStep?: (step: JournalStep) => Promise<void> | void) => ({
  extractor: new FolderExtractor(s.backupHome),
  databases: new FileDatabases(s.dbDir, ['repository', 'archive']),
  logger: new MemoryLogger(),
  onStep
})

/** A journal as a real restore of this home writes it, then `edit`ed; written privately, as the engine does. */
async function plant(s: World, edit: (j: Journal) => void): Promise<string> {
  const id = '1'
  const workDir = path.join(s.home, `.xlr-restore-${id}`)
  const st = await stat(s.home)
  const j: Journal = {
    format: 'xlr-restore-journal',
    version: 2,
    id,
    home: s.home,
    homeIdentity: { dev: st.dev, ino: st.ino },
    homeCreated: false,
    workDir,
    stagingDir: path.join(workDir, 'staging'),
    previousDir: path.join(workDir, 'previous'),
    backupName: 'xlr-backup-test',
    startedAt: '2026-01-01T00:00:00.000Z',
    state: 'swapping',
    swapsBegan: true,
    components: [],
    databases: [],
    indexFolders: [],
    steps: []
  }
  edit(j)
  await mkdir(path.join(workDir, 'staging'), { recursive: true, mode: 0o700 })
  await chmod(workDir, 0o700)
  const file = path.join(workDir, 'journal.json')
  await writeFile(file, JSON.stringify(j), { mode: 0o600 })
  return file
}

const at = '2026-01-01T00:00:01.000Z'
const hostile: [string, (s: World) => (j: Journal) => void][] = [
  [
    'a component named ../canary/data',
    s => j => {
      j.components = [{ name: `../${path.basename(s.canary)}/data`, hadCurrent: false }]
      j.steps = [{ kind: 'moved-in', target: j.components[0].name, at }]
    }
  ],
  [
    'a work folder outside the home (removed after a rollback)',
    s => j => {
      j.workDir = s.canary
      j.stagingDir = path.join(s.canary, 'staging')
      j.previousDir = path.join(s.canary, 'previous')
      j.swapsBegan = false
    }
  ],
  [
    'a previous folder elsewhere (removed after a rollback)',
    s => j => {
      j.previousDir = path.join(s.canary, 'xlr-restore-1')
      j.swapsBegan = false
    }
  ],
  [
    'a previous folder with .. in it',
    s => j => {
      j.previousDir = `${j.workDir}/../../canary/xlr-restore-1`
      j.components = [{ name: 'conf', hadCurrent: true }]
      j.steps = [{ kind: 'moved-aside', target: 'conf', at }]
      void s
    }
  ],
  [
    'another home (the canary) as its home',
    s => j => {
      j.home = s.canary
      j.workDir = path.join(s.canary, '.xlr-restore-1')
      j.stagingDir = path.join(j.workDir, 'staging')
      j.previousDir = path.join(j.workDir, 'previous')
      j.components = [{ name: 'data', hadCurrent: true }]
      j.steps = [{ kind: 'moved-in', target: 'data', at }]
    }
  ],
  [
    'a safety dump taken from elsewhere',
    s => j => {
      j.databases = [{ role: 'repository', safetyDumpDir: s.canary }]
      j.steps = [
        { kind: 'safety-dump-done', target: 'repository', at },
        { kind: 'db-restore-started', target: 'repository', at }
      ]
    }
  ],
  [
    'an index folder outside the JCR ones',
    () => j => {
      j.indexFolders = ['../../canary/data']
      j.steps = [{ kind: 'index-reset-started', target: '../../canary/data', at }]
    }
  ],
  [
    'a database role that is a path',
    () => j => {
      j.databases = [{ role: '../../canary' as 'repository', safetyDumpDir: null }]
    }
  ],
  [
    'an unknown field',
    () => j => {
      Object.assign(j, { run: 'rm -rf /' })
    }
  ],
  ['no components list', () => j => Object.assign(j, { components: null })],
  ['a backup name that forges a log line', () => j => (j.backupName = 'x\n::error::forged')]
]

describe('a planted journal.json', () => {
  it.each(hostile)('naming %s is refused; the home, databases and canary are untouched', async (_what, edit) => {
    const s = await world()
    const file = await plant(s, edit(s))
    const before = `${await worldHash(s)}/${await treeHash(s.canary)}`
    for (const interrupted of ['', 'rollback', 'finish'] as const) {
      const err = await runRestore(request(s, { interrupted }), deps(s)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RestoreError)
      const message = (err as Error).message
      expect(message).toContain(`Refusing the restore journal ${file}`)
      expect(message).toContain('Nothing was changed')
      expect(message).toContain(`rm -rf '${path.dirname(file)}'`)
      expect(`${await worldHash(s)}/${await treeHash(s.canary)}`).toBe(before)
    }
  })

  it('a journal that is a symlink to a file elsewhere is refused', async () => {
    const s = await world()
    const file = await plant(s, () => {})
    const elsewhere = path.join(s.canary, 'journal.json')
    await rename(file, elsewhere)
    await (await import('node:fs/promises')).symlink(elsewhere, file)
    const err = await findInterruptedRestores(s.home).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/cannot be read \(it is not a plain file\)/)
  })

  it('a journal other users can write is refused', async () => {
    const s = await world()
    const file = await plant(s, () => {})
    await chmod(file, 0o666)
    await expect(findInterruptedRestores(s.home)).rejects.toThrow(/can be written by other users \(mode 666\)/)
  })

  it('a version 1 journal (no home identity) is read only when everything it names is inside its work folder', async () => {
    const s = await world()
    const v1 = (j: Journal) => {
      j.version = 1
      delete j.homeIdentity
    }
    await plant(s, v1)
    expect(await findInterruptedRestores(s.home)).toHaveLength(1)
    await plant(s, j => {
      v1(j)
      j.previousDir = path.join(s.canary, 'xlr-restore-1')
    })
    await expect(findInterruptedRestores(s.home)).rejects.toThrow(
      /its previousDir .* is outside the home, and a version 1 journal does not record which home it belongs to/
    )
  })

  it('the untouched planted journal (the control) is accepted, so the refusals above are about the edits', async () => {
    const s = await world()
    await plant(s, () => {})
    expect(await findInterruptedRestores(s.home)).toHaveLength(1)
  })
})

/** Starts a real restore that stops for good after the `nth` step of `kind`, as if the runner died there. */
async function interruptAt(s: Scenario, kind: string, nth: number, previousPath = ''): Promise<void> {
  let seen = 0
  let reached!: () => void
  const stopped = new Promise<void>(resolve => (reached = resolve))
  void runRestore(
    request(s, { previousPath }),
    deps(s, step => {
      if (step.kind !== kind || ++seen !== nth) return
      reached()
      return new Promise<void>(() => {}) // never resumes: the process "died" with the journal on disk
    })
  )
  await stopped
}

describe('a copied home', () => {
  it('rolling back a copy of a half-restored home never touches the original or its previous-path', async () => {
    const s = await world()
    const previousPath = path.join(s.root, 'kept')
    await mkdir(previousPath)
    const before = await treeHash(s.home)
    await interruptAt(s, 'moved-in', 2, previousPath)
    const original = await treeHash(s.home)
    const kept = await treeHash(previousPath)

    // The admin copies the half-restored home aside and puts the copy where the home was.
    const moved = path.join(s.root, 'home-original')
    await rename(s.home, moved)
    await cp(moved, s.home, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
    const err = await runRestore(request(s, { interrupted: 'rollback' }), deps(s)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RestoreError)
    expect((err as Error).message).toMatch(/was written for another folder than .* is now .*the home is a copy/)
    expect(await treeHash(moved)).toBe(original)
    expect(await treeHash(previousPath)).toBe(kept)

    // A copy at another path is refused as well: its journal names the original home.
    const copy = path.join(s.root, 'home-copy')
    await rename(s.home, copy)
    await expect(findInterruptedRestores(copy)).rejects.toThrow(/it names the home .*but it was found in/)

    // The original, back in place, still rolls back exactly.
    await rename(moved, s.home)
    const [found] = await findInterruptedRestores(s.home)
    await rollBackInterrupted(found, deps(s))
    expect(await treeHash(s.home)).toBe(before)
    expect(await readFile(path.join(s.dbDir, 'repository.db'), 'utf8')).toBe('current repository rows')
  })
})
