import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RestoreError } from '../../src/shared/errors.js'
import {
  checkRestoreBeforeStop,
  findInterruptedRestores,
  JCR_INDEX_FOLDERS,
  rollBackInterrupted,
  runRestore,
  type RestoreRequest
} from '../../src/restore-engine/index.js'
import {
  scenarioDeps,
  scenarioRequest,
  scenariosIn,
  treeHash,
  treeState,
  worldHash,
  type Scenario
} from '../support/restore-fixtures.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '..', '..')
const DEFAULT = ['repository', 'conf', 'ext', 'plugins', 'archive', 'hotfix']
const OTHERS = ['README.txt', 'bin', 'lib', 'log']

const scenario = scenariosIn('restore-interrupted-')

/** Runs the engine in a child process that SIGKILLs itself at the `occurrence`th journal step of `kind`. */
async function runAndDie(s: Scenario, kind: string, occurrence: number): Promise<void> {
  // node itself runs the engine (tsx only as a loader), so the SIGKILL hits the process doing the restore.
  const args = ['--import', 'tsx', path.join(here, 'interrupt-child.ts'), s.root, kind, String(occurrence)]
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' }
  })
  let output = ''
  child.stdout.on('data', d => (output += d))
  child.stderr.on('data', d => (output += d))
  const signal = await new Promise<NodeJS.Signals | null>(resolve => child.on('exit', (_code, sig) => resolve(sig)))
  if (signal !== 'SIGKILL') throw new Error(`the child was not killed at ${kind} #${occurrence}: ${output}`)
}

const request = (s: Scenario, over: Partial<RestoreRequest> = {}): RestoreRequest => scenarioRequest(s, 'true', over)

const deps = scenarioDeps

// Where the runner dies: while unpacking, between the two renames of a swap, after whole swaps, in the middle of a
// database restore, while emptying the indexes.
const killPoints: [string, number, RegExp][] = [
  ['staged', 3, /still unpacking into its staging folder/],
  ['moved-aside', 3, /swapped in from the backup: repository, conf; not swapped yet: ext, plugins, archive, hotfix/],
  ['moved-in', 6, /swapped in from the backup: repository, conf, ext, plugins, archive, hotfix/],
  ['db-restore-started', 2, /database repository restored.*database archive was being overwritten/],
  [
    'index-reset-started',
    2,
    /JCR index folders emptied: repository\/repository\/index, repository\/workspaces\/default/
  ]
]

describe('a restore interrupted by SIGKILL', () => {
  it.each(killPoints)('killed at %s #%d: detected, refused, then rolled back exactly', async (kind, nth, what) => {
    const s = await scenario()
    const before = await worldHash(s)
    await runAndDie(s, kind, nth)

    // The next run refuses, says what was in flight and how to proceed, and changes nothing.
    const afterKill = await worldHash(s)
    const err = await runRestore(request(s), deps(s)).catch(e => e)
    expect(err).toBeInstanceOf(RestoreError)
    expect((err as Error).message).toMatch(/did not finish/)
    expect((err as Error).message).toMatch(what)
    expect((err as Error).message).toMatch(/'interrupted-restore: rollback'.*'interrupted-restore: finish'/s)
    // The same refusal comes before the server is stopped; told how to deal with it, the check leaves that to the run.
    await expect(checkRestoreBeforeStop(request(s), deps(s))).rejects.toThrow(/did not finish/)
    await expect(checkRestoreBeforeStop(request(s, { interrupted: 'rollback' }), deps(s))).resolves.toBeUndefined()
    expect(await worldHash(s)).toBe(afterKill)

    const [found] = await findInterruptedRestores(s.home)
    await rollBackInterrupted(found, deps(s))
    expect(await worldHash(s)).toBe(before)
  })

  it.each(killPoints)('killed at %s #%d: finish completes it', async (kind, nth) => {
    const s = await scenario()
    const othersBefore = await treeHash(s.home, OTHERS)
    await runAndDie(s, kind, nth)
    const d = deps(s)
    const result = await runRestore(request(s, { interrupted: 'finish' }), d)
    const fromBackup = async (names: string[]) => {
      const state = await treeState(s.backupHome, names)
      for (const f of JCR_INDEX_FOLDERS) for (const k of [...state.keys()]) if (k.startsWith(`${f}/`)) state.delete(k)
      return state
    }
    // Everything of the backup is in place, with the indexes emptied (reset-indexes: true), others untouched.
    expect(await treeState(s.home, DEFAULT)).toEqual(await fromBackup(DEFAULT))
    expect(await treeHash(s.home, OTHERS)).toBe(othersBefore)
    for (const f of JCR_INDEX_FOLDERS) expect(await readdir(path.join(s.home, f))).toEqual([])
    expect(await readFile(path.join(s.dbDir, 'repository.db'), 'utf8')).toBe('restored from backup: repository')
    expect(await readFile(path.join(s.dbDir, 'archive.db'), 'utf8')).toBe('restored from backup: archive')
    // The safety dumps hold the databases as they were before the restore, never a half-restored one.
    const prev = result.previousDir as string
    if (kind !== 'staged') {
      expect(await readFile(path.join(prev, 'databases', 'repository', 'dump.db'), 'utf8')).toBe(
        'current repository rows'
      )
      expect(result.interrupted).toEqual({ id: expect.any(String), action: 'finish' })
    } else {
      // It had changed nothing: it was discarded and this run's restore ran instead.
      expect(result.interrupted?.action).toBe('rollback')
    }
    expect(await findInterruptedRestores(s.home)).toEqual([])
  })

  it("'interrupted-restore: rollback' undoes it and then runs this restore", async () => {
    const s = await scenario()
    await runAndDie(s, 'moved-in', 2)
    const d = deps(s)
    const result = await runRestore(request(s, { interrupted: 'rollback', resetIndexes: 'auto' }), d)
    expect(result.interrupted?.action).toBe('rollback')
    expect(await treeState(s.home, DEFAULT)).toEqual(await treeState(s.backupHome, DEFAULT))
    expect(d.logger.messages('info').join('\n')).toMatch(/rolled back: the home is as it was before it/)
  })

  it('finish refuses a different backup when databases remain to restore', async () => {
    const s = await scenario()
    await runAndDie(s, 'moved-in', 1)
    const other = { ...s.backup, name: 'xlr-backup-other' }
    await expect(runRestore(request(s, { backup: other, interrupted: 'finish' }), deps(s))).rejects.toThrow(
      /still has to restore databases from backup xlr-backup-test, but this run fetched xlr-backup-other/
    )
  })
})
