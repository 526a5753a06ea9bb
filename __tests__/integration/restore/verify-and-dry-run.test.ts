/**
 * `mode: verify` through the real core (a good backup, its dump loaded into a scratch database; a damaged one
 * refused), and `dry-run: true`: it changes nothing, and its plan is what the real restore that follows then does.
 */
import { copyFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { IntegrityError } from '../../../src/shared/errors.js'
import { Input, Output } from '../../../src/settings/inputs.js'
import type { JobResult } from '../../../src/report/job-result.js'
import { pgAdmin, pgDropDatabase, uniqueName, type PgFixture } from '../../support/database-fixtures.js'
import {
  PG_URL,
  checksums,
  dataOffset,
  exactTree,
  flipByte,
  homeState,
  reseal,
  run,
  runFailing,
  type ConfDatabase,
  type Inputs,
  dbHomeFixture,
  dbHomeInputs,
  type DbHomeFixture
} from '../../support/e2e-restore.js'

let fixture: DbHomeFixture
let store: string
let home: string
let role: DbHomeFixture['role']
let pg: PgFixture
let db: ConfDatabase
let original: Record<string, string>
const scratch: string[] = []

function inputs(over: Inputs = {}): Inputs {
  return dbHomeInputs(fixture, 'checked', over)
}

beforeAll(async () => {
  fixture = await dbHomeFixture('xlr-e2e-verify-')
  ;({ store, home, role, pg, repoDb: db } = fixture)
  original = await checksums('postgresql', db)
  await run(inputs({ [Input.Mode]: 'backup' }))
})

afterAll(async () => {
  for (const d of scratch) pgDropDatabase(d)
  await fixture?.drop()
})

describe('verify', () => {
  test('a good backup: every entry checked, the home unpacked, the dump loaded into a scratch database', async () => {
    const drill = uniqueName('e2e_verify')
    scratch.push(drill)
    const homeBefore = await exactTree(home)
    const { result } = await run({
      [Input.Mode]: 'verify',
      [Input.Storage]: 'directory',
      [Input.Path]: store,
      [Input.Name]: 'checked',
      [Input.DatabaseUrl]: PG_URL(drill),
      [Input.DatabaseUsername]: role.name,
      [Input.DatabasePassword]: role.password,
      [Input.CreateDatabase]: 'true'
    })
    expect(result.outputs[Output.Verified]).toBe('true')
    const checks = result.summary.tables[0].rows.map(r => r.join(' | ')).join('\n')
    expect(checks).toMatch(/Home \| \d+ files/)
    expect(checks).toContain(`restored into ${drill}`)
    expect(await checksums('postgresql', { ...db, url: PG_URL(drill) })).toEqual(original)
    // Verify touches no home and no production database.
    expect(await exactTree(home)).toBe(homeBefore)
    expect(await checksums('postgresql', db)).toEqual(original)
  })

  test('without scratch database inputs the dump is checked byte for byte, and the summary says it was not loaded', async () => {
    const { result } = await run({
      [Input.Mode]: 'verify',
      [Input.Storage]: 'directory',
      [Input.Path]: store,
      [Input.Name]: 'checked'
    })
    expect(result.outputs[Output.Verified]).toBe('true')
    expect(result.summary.tables[0].rows.map(r => r.join(' | ')).join('\n')).toMatch(
      /repository dump \| pg-custom, checked byte for byte/
    )
    expect(result.summary.notes.join('\n')).toMatch(/database-url/)
  })

  test('a backup with one flipped byte is refused with IntegrityError', async () => {
    const file = path.join(store, 'corrupt.zip')
    await copyFile(path.join(store, 'checked.zip'), file)
    const { offset, size } = dataOffset(file, 'home/conf/xl-release-server.conf')
    await flipByte(file, offset + Math.floor(size / 2))
    await reseal(file)
    const { error } = await runFailing({
      [Input.Mode]: 'verify',
      [Input.Storage]: 'directory',
      [Input.Path]: store,
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
    await writeFile(path.join(home, 'conf/changed.txt'), 'after the backup')
    await writeFile(path.join(home, 'plugins/__local__/new.jar'), 'a plugin added later')
    pgAdmin('DELETE FROM xlr_tasks WHERE ci_uid % 2 = 1;', pg.database)
    const before = { tree: await exactTree(home), tables: await checksums('postgresql', db) }

    const dry = await run(inputs({ [Input.Mode]: 'restore', [Input.DryRun]: 'true' }))
    expect(await exactTree(home)).toBe(before.tree)
    expect(await checksums('postgresql', db)).toEqual(before.tables)
    expect(dry.result.summary.title).toMatch(/dry run: nothing changed/)
    const planned = dry.result.outputs[Output.RestoredComponents]!.split(',')
    expect(planned).toEqual(expect.arrayContaining(['repository', 'conf', 'ext', 'plugins', 'databases']))

    const real = await run(inputs({ [Input.Mode]: 'restore' }))
    expect(real.result.outputs[Output.RestoredComponents]!.split(',')).toEqual(planned)
    // The plan's tables (what is replaced, what is added, which database is overwritten) are the same.
    expect(planRows(real.result)).toEqual(planRows(dry.result))
    // And it did it: the planned components and the database are back, the replaced ones kept where planned.
    expect(await checksums('postgresql', db)).toEqual(original)
    const state = await homeState(home)
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
