/**
 * `mode: verify` through the real core (a good backup, its dump loaded into a scratch database; a damaged one
 * refused), and `dry-run: true`: it changes nothing, and its plan is what the real restore that follows then does.
 */
import { copyFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { IntegrityError } from '../../../src/shared/errors.js'
import { Input, Output } from '../../../src/settings/inputs.js'
import type { JobResult } from '../../../src/report/job-result.js'
import { pgAdmin, pgDropDatabase, uniqueName } from '../../support/database-fixtures.js'
import { checksums, exactTree, homeState, run, runFailing, type Inputs, useDbHome } from '../../support/e2e-restore.js'
import { PG_URL, dataOffset, flipByte, reseal } from '../../support/e2e-restore.js'

const scratch: string[] = []
const fx = useDbHome('xlr-e2e-verify-', 'checked', {
  beforeDrop: () => {
    for (const d of scratch) pgDropDatabase(d)
  }
})

let original: Record<string, string>

function inputs(over: Inputs = {}): Inputs {
  return fx.inputs(over)
}

beforeAll(async () => {
  original = await checksums('postgresql', fx.repoDb)
  await run(inputs({ [Input.Mode]: 'backup' }))
})

describe('verify', () => {
  test('a good backup: every entry checked, the home unpacked, the dump loaded into a scratch database', async () => {
    const drill = uniqueName('e2e_verify')
    scratch.push(drill)
    const homeBefore = await exactTree(fx.home)
    const { result } = await run({
      [Input.Mode]: 'verify',
      [Input.Storage]: 'directory',
      [Input.Path]: fx.store,
      [Input.Name]: 'checked',
      [Input.DatabaseUrl]: PG_URL(drill),
      [Input.DatabaseUsername]: fx.role.name,
      [Input.DatabasePassword]: fx.role.password,
      [Input.CreateDatabase]: 'true'
    })
    expect(result.outputs[Output.Verified]).toBe('true')
    const checks = result.summary.tables[0].rows.map(r => r.join(' | ')).join('\n')
    expect(checks).toMatch(/Home \| \d+ files/)
    expect(checks).toContain(`restored into ${drill}`)
    expect(await checksums('postgresql', { ...fx.repoDb, url: PG_URL(drill) })).toEqual(original)
    // Verify touches no home and no production database.
    expect(await exactTree(fx.home)).toBe(homeBefore)
    expect(await checksums('postgresql', fx.repoDb)).toEqual(original)
  })

  test('without scratch database inputs the dump is checked byte for byte, and the summary says it was not loaded', async () => {
    const { result } = await run({
      [Input.Mode]: 'verify',
      [Input.Storage]: 'directory',
      [Input.Path]: fx.store,
      [Input.Name]: 'checked'
    })
    expect(result.outputs[Output.Verified]).toBe('true')
    expect(result.summary.tables[0].rows.map(r => r.join(' | ')).join('\n')).toMatch(
      /repository dump \| pg-custom, checked byte for byte/
    )
    expect(result.summary.notes.join('\n')).toMatch(/database-url/)
  })

  test('a backup with one flipped byte is refused with IntegrityError', async () => {
    const file = path.join(fx.store, 'corrupt.zip')
    await copyFile(path.join(fx.store, 'checked.zip'), file)
    const { offset, size } = dataOffset(file, 'home/conf/xl-release-server.conf')
    await flipByte(file, offset + Math.floor(size / 2))
    await reseal(file)
    const { error } = await runFailing({
      [Input.Mode]: 'verify',
      [Input.Storage]: 'directory',
      [Input.Path]: fx.store,
      [Input.Name]: 'corrupt'
    })
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toContain('home/conf/xl-release-server.conf')
  })
})

describe('dry run', () => {
  /** The plan's component and database rows, without the restore id that differs between runs. */
  function planRows(result: JobResult): string[][] {
    return result.summary.tables.flatMap(t =>
      t.rows.map(r => [t.caption, ...r.map(cell => cell.replace(/\.xlr-restore-[^/]+/g, '.xlr-restore-ID'))])
    )
  }

  test('changes nothing, and the real restore then does exactly what it planned', async () => {
    await writeFile(path.join(fx.home, 'conf/changed.txt'), 'after the backup')
    await writeFile(path.join(fx.home, 'plugins/__local__/new.jar'), 'a plugin added later')
    pgAdmin('DELETE FROM xlr_tasks WHERE ci_uid % 2 = 1;', fx.pg.database)
    const before = { tree: await exactTree(fx.home), tables: await checksums('postgresql', fx.repoDb) }

    const dry = await run(inputs({ [Input.Mode]: 'restore', [Input.DryRun]: 'true' }))
    expect(await exactTree(fx.home)).toBe(before.tree)
    expect(await checksums('postgresql', fx.repoDb)).toEqual(before.tables)
    expect(dry.result.summary.title).toMatch(/dry run: nothing changed/)
    const planned = dry.result.outputs[Output.RestoredComponents]!.split(',')
    expect(planned).toEqual(expect.arrayContaining(['repository', 'conf', 'ext', 'plugins', 'databases']))

    const real = await run(inputs({ [Input.Mode]: 'restore' }))
    expect(real.result.outputs[Output.RestoredComponents]!.split(',')).toEqual(planned)
    // The plan's tables (what is replaced, what is added, which database is overwritten) are the same.
    expect(planRows(real.result)).toEqual(planRows(dry.result))
    // And it did it: the planned components and the database are back, the replaced ones kept where planned.
    expect(await checksums('postgresql', fx.repoDb)).toEqual(original)
    const state = await homeState(fx.home)
    expect(state.has('conf/changed.txt')).toBe(false)
    expect(state.has('plugins/__local__/new.jar')).toBe(false)
    const previous = real.result.outputs[Output.PreviousPath]!
    const kept = await homeState(previous)
    expect(kept.has('conf/changed.txt')).toBe(true)
    expect(kept.has('plugins/__local__/new.jar')).toBe(true)
    // Every component the plan said it would replace is kept in the previous folder, and nothing else.
    const replaced = dry.result.summary.tables[0].rows.filter(r => r[1] === 'replace').map(r => r[0])
    expect(replaced).toEqual(expect.arrayContaining(['repository', 'conf', 'ext', 'plugins']))
    const keptTop = [...kept.keys()].filter(k => !k.includes('/') && k !== 'databases')
    expect(keptTop.sort()).toEqual([...replaced].sort())
  })
})
