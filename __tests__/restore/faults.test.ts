import { readdir, readFile } from 'node:fs/promises'
import * as path from 'node:path'
import {
  findInterruptedRestores,
  rollBackInterrupted,
  RestoreFailedError,
  runRestore
} from '../../src/restore-engine/index.js'
import type { JournalStep, RestoreDeps, RestoreRequest } from '../../src/restore-engine/index.js'
import {
  scenarioDeps,
  scenarioRequest,
  scenariosIn,
  treeHash,
  worldHash,
  type Scenario
} from '../support/restore-fixtures.js'

const scenario = scenariosIn('restore-faults-')

// resetIndexes 'true' so the index steps are part of every run and get their faults too.
const request = (s: Scenario, over: Partial<RestoreRequest> = {}): RestoreRequest => scenarioRequest(s, 'true', over)

function deps(s: Scenario, over: Pick<RestoreDeps, 'onStep'> = {}) {
  return {
    ...scenarioDeps(s),
    rewriteConf: async () => {},
    ...over
  }
}

/** Every journal step of a successful restore, to fail at each one in turn. */
async function allSteps(): Promise<JournalStep[]> {
  const s = await scenario()
  const steps: JournalStep[] = []
  await runRestore(request(s), deps(s, { onStep: step => void steps.push(step) }))
  return steps
}

async function expectRolledBack(s: Scenario, before: string, run: Promise<unknown>, cause: RegExp): Promise<void> {
  const err = await run.then(
    () => null,
    e => e
  )
  expect(err).toBeInstanceOf(RestoreFailedError)
  expect((err as RestoreFailedError).rolledBack).toBe(true)
  expect((err as Error).message).toMatch(cause)
  expect((err as Error).message).toMatch(/Every change was undone: the home is as it was before/)
  // Byte-identical: contents, modes, links of the home and the databases; no work folder left behind.
  expect(await worldHash(s)).toBe(before)
  expect(await findInterruptedRestores(s.home)).toEqual([])
}

describe('checks that run beside the staging (the backup file digest)', () => {
  it('are awaited once every component is staged and before the first swap; a failure there rolls back', async () => {
    const s = await scenario()
    const before = await worldHash(s)
    const steps: string[] = []
    const d = {
      ...deps(s, { onStep: (step: JournalStep) => void steps.push(step.kind) }),
      beforeSwaps: async () => {
        steps.push('before-swaps')
        throw new Error('the backup file does not match its digest')
      }
    }
    await expectRolledBack(s, before, runRestore(request(s), d), /does not match its digest/)
    expect(steps.indexOf('before-swaps')).toBe(steps.lastIndexOf('staged') + 2)
    expect(steps.slice(0, steps.indexOf('before-swaps'))).not.toContain('moved-aside')
    expect(steps).not.toContain('moved-in')
  })
})

describe('fault injection: any failure rolls everything back', () => {
  it('a failure thrown after each journal step leaves home and databases byte-identical', async () => {
    const steps = await allSteps()
    const kinds = new Set(steps.map(st => st.kind))
    // The run covers every kind of step: staging, the conf hook, swaps, safety dumps, database restores, indexes.
    expect([...kinds].sort()).toEqual(
      [
        'staged',
        'conf-rewritten',
        'moved-aside',
        'moved-in',
        'safety-dump-started',
        'safety-dump-done',
        'db-restore-started',
        'db-restore-done',
        'index-reset-started',
        'index-reset-done'
      ].sort()
    )
    for (let i = 0; i < steps.length; i++) {
      const s = await scenario()
      const before = await worldHash(s)
      let count = 0
      const d = deps(s, {
        onStep: () => {
          if (count++ === i) throw new Error(`injected fault after step ${i}`)
        }
      })
      await expectRolledBack(s, before, runRestore(request(s), d), new RegExp(`injected fault after step ${i}`))
      // The databases touched were put back from their own safety dumps.
      const restored = steps.slice(0, i + 1).filter(st => st.kind === 'db-restore-started')
      expect(d.databases.calls.filter(c => c.startsWith('rollback'))).toEqual(
        restored.reverse().map(st => `rollback ${st.target}`)
      )
    }
  })

  it('a disk error while extracting a component', async () => {
    const s = await scenario()
    const before = await worldHash(s)
    const d = deps(s)
    d.extractor.failOn = 'ext'
    await expectRolledBack(s, before, runRestore(request(s), d), /extracting ext: ENOSPC/)
  })

  it('a failed restore into an absent home removes the home it created', async () => {
    const s = await scenario()
    const home = path.join(s.root, 'drill-home')
    const d = deps(s)
    d.extractor.failOn = 'plugins'
    const err = (await runRestore(request(s, { home }), d).catch(e => e)) as RestoreFailedError
    expect(err.rolledBack).toBe(true)
    await expect(readdir(home)).rejects.toThrow(/ENOENT/)
  })

  it.each([
    ['safetyDump', /safety dump of the archive database.*pg_dump exited/],
    ['restore', /restoring the archive database.*pg_restore exited with code 1/],
    ['restore-after-partial-write', /connection lost/],
    ['kill-child', /pg_restore was killed by SIGKILL/]
  ] as const)('a database failure (%s) rolls back files and databases', async (fault, cause) => {
    const s = await scenario()
    const before = await worldHash(s)
    const d = deps(s)
    d.databases.faults.archive = fault
    await expectRolledBack(s, before, runRestore(request(s), d), cause)
    // repository was fully restored before archive failed; it was put back too.
    expect(d.databases.calls).toContain('rollback repository')
  })

  it('when a database cannot be put back, says exactly what state things are in and how to fix them', async () => {
    const s = await scenario()
    const dbBefore = await readFile(path.join(s.dbDir, 'repository.db'), 'utf8')
    const d = deps(s)
    d.databases.faults = { archive: 'restore', repository: 'rollback' }
    const err = (await runRestore(request(s), d).catch(e => e)) as RestoreFailedError
    expect(err).toBeInstanceOf(RestoreFailedError)
    expect(err.rolledBack).toBe(false)
    expect(err.message).toMatch(/Rolling back ALSO failed/)
    expect(err.message).toMatch(/database repository .*safety dump in .*previous\/databases\/repository/)
    expect(err.message).toMatch(/repository: as before the restore/)
    expect(err.message).toMatch(/interrupted-restore: rollback/)
    // The safety dump is kept for the fix; the next run refuses until the user decides.
    const [found] = await findInterruptedRestores(s.home)
    expect(found.journal.state).toBe('rollback-failed')
    await expect(runRestore(request(s), deps(s))).rejects.toThrow(/did not finish/)
    // Once the cause is gone, 'interrupted-restore: rollback' completes the rollback.
    const dry = deps(s)
    await runRestore(request(s, { interrupted: 'rollback', dryRun: true }), dry)
    expect(dry.logger.messages('warning').join()).toMatch(/Dry run: would rollback the interrupted restore/)
    expect((await findInterruptedRestores(s.home))[0].journal.state).toBe('rollback-failed')
    await rollBackInterrupted(found, deps(s))
    expect(await readFile(path.join(s.dbDir, 'repository.db'), 'utf8')).toBe(dbBefore)
    expect(await findInterruptedRestores(s.home)).toEqual([])
  })

  it('without a safety dump a failed database restore cannot be undone, and the error says so', async () => {
    const s = await scenario()
    const d = deps(s)
    d.databases.faults.repository = 'restore-after-partial-write'
    const err = (await runRestore(request(s, { safetyDump: false }), d).catch(e => e)) as RestoreFailedError
    expect(err.rolledBack).toBe(false)
    expect(err.message).toMatch(/database repository .*no safety dump was taken/)
    // The files are back as they were even so.
    expect(err.message).not.toMatch(/the backup's copy is in the home/)
    expect(await readdir(path.join(s.home, 'plugins', '__local__'))).toContain('added-later.jar')
  })

  it('a restorer without rollback: the files are put back and the error points at the safety dump', async () => {
    const s = await scenario()
    const original = await readdir(s.home)
    const homeBefore = await treeHash(s.home, original)
    const d = deps(s)
    d.databases.faults.repository = 'restore-after-partial-write'
    Object.assign(d.databases, { rollback: undefined })
    const err = (await runRestore(request(s), d).catch(e => e)) as RestoreFailedError
    expect(err.rolledBack).toBe(false)
    expect(err.message).toMatch(
      /database repository .*put it back by hand from the safety dump in .*databases\/repository/
    )
    // Every original entry of the home is back byte for byte; only the kept work folder was added.
    expect(await treeHash(s.home, original)).toBe(homeBefore)
    expect((await readdir(s.home)).filter(e => !original.includes(e))).toEqual([
      expect.stringMatching(/^\.xlr-restore-/)
    ])
    expect(
      await readFile(
        path.join((await findInterruptedRestores(s.home))[0].journal.previousDir, 'databases', 'repository', 'dump.db'),
        'utf8'
      )
    ).toBe('current repository rows')
  })
})
