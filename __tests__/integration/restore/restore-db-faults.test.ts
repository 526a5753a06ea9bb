/**
 * Database restore failures through the real core and the real database restorer. A fake pg_restore first on PATH
 * does half a restore for real (the real pg_restore, pre-data only, outside a transaction: every table dropped and
 * re-created empty) and then dies — killing itself (the restore fails and rolls back), or killing the process that
 * runs the restore (an interrupted restore, rolled back by the next run).
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { RestoreError } from '../../../src/shared/errors.js'
import { Input, Output } from '../../../src/settings/inputs.js'
import { pgAdmin, pgDropDatabase, uniqueName, writeScript } from '../../support/database-fixtures.js'
import {
  PG_URL,
  attempt,
  checksums,
  exactTree,
  homeState,
  run,
  runFailing,
  type Inputs,
  useDbHome
} from '../../support/e2e-restore.js'
import { withEnvVar } from '../../support/env.js'

const fx = useDbHome('xlr-e2e-dbfault-', 'faults')

let realPgRestore: string
let backedUp: Record<string, string>

function inputs(over: Inputs = {}): Inputs {
  return fx.inputs({ [Input.Mode]: 'restore', ...over })
}

/**
 * A pg_restore that passes --version and --list to the real one. The first restore (marked by `mark`) damages the
 * target for real — through psql with the connection pg_restore was given: rows deleted, blobs cleared, committed —
 * as a restore cut off half-way would leave it, then runs `die`. Later calls (the rollback from the safety dump) are
 * the real pg_restore.
 */
async function fakePgRestore(dir: string, mark: string, die: string): Promise<string> {
  await writeScript(
    dir,
    'pg_restore',
    `REAL='${realPgRestore}'
for a in "$@"; do case "$a" in --version|-V|--list|-l) exec "$REAL" "$@";; esac; done
[ -e '${mark}' ] && exec "$REAL" "$@"
for a in "$@"; do case "$a" in --dbname=*) CONN="\${a#--dbname=}";; esac; done
psql -X -q -v ON_ERROR_STOP=1 -d "$CONN" -c 'DELETE FROM xlr_tasks; UPDATE xlr_releases SET content = NULL;' || exit 3
echo "half-restored by $$" > '${mark}'
${die}`
  )
  return dir
}

beforeAll(async () => {
  realPgRestore = execFileSync('sh', ['-c', 'command -v pg_restore'], { encoding: 'utf8' }).trim()
  backedUp = await checksums('postgresql', fx.repoDb)
  await run({ ...inputs(), [Input.Mode]: 'backup' })
})

/** Changes the home and the database after the backup, so a restore (and its rollback) has something to do. */
async function diverge(tag: string): Promise<void> {
  await writeFile(path.join(fx.home, 'conf/diverged.txt'), tag)
  await writeFile(path.join(fx.home, 'ext/synthetic.xml'), `<synthetic ${tag}/>`)
  pgAdmin(
    `UPDATE xlr_releases SET title = '${tag}' WHERE ci_uid % 3 = 0; DELETE FROM xlr_tasks WHERE ci_uid % 4 = 0;`,
    fx.pg.database
  )
}

describe('a database restore that fails half-way is rolled back through the real restorer', () => {
  test('pg_restore killed after overwriting part of the database: RestoreError, home and tables as before', async () => {
    await diverge('before-fault')
    const before = { tree: await exactTree(fx.home), tables: await checksums('postgresql', fx.repoDb) }
    const mark = path.join(fx.tmp, 'killed-once')
    const fakes = await fakePgRestore(path.join(fx.tmp, 'fake-kill'), mark, 'kill -9 $$')

    const failure = await withEnvVar('PATH', `${fakes}:${process.env.PATH}`, () => runFailing(inputs()))

    // The fake really overwrote part of the database before it died.
    expect(await readFile(mark, 'utf8')).toMatch(/half-restored/)
    expect(failure.error).toBeInstanceOf(RestoreError)
    expect(failure.error.message).toMatch(/Every change was undone/)
    expect(failure.error.message).toMatch(/pg_restore/)
    // The safety dump was loaded back, every swap undone, the work folder removed.
    expect(await checksums('postgresql', fx.repoDb)).toEqual(before.tables)
    expect(await exactTree(fx.home)).toBe(before.tree)
    expect(failure.logger.secrets).toContain(fx.repoDb.password)
    expect([...failure.logger.messages(), failure.error.message].join('\n')).not.toContain(fx.repoDb.password)
  })
})

/**
 * Runs a restore in a child process whose fake pg_restore half-overwrites the database and then SIGKILLs that
 * process (its parent), as a runner dying in the middle would: the journal is left unfinished.
 */
async function interruptInChild(tag: string): Promise<void> {
  const mark = path.join(fx.tmp, `killed-parent-${tag}`)
  const fakes = await fakePgRestore(path.join(fx.tmp, `fake-parent-${tag}`), mark, 'kill -9 $PPID')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(process.cwd(), '__tests__/support/e2e-restore-child.ts'), JSON.stringify(inputs())],
    {
      env: { ...process.env, PATH: `${fakes}:${process.env.PATH}`, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const signal = await new Promise<NodeJS.Signals | null>(resolve => child.on('exit', (_code, sig) => resolve(sig)))
  expect({ signal, stderr }).toEqual({ signal: 'SIGKILL', stderr: expect.any(String) })
  expect(await readFile(mark, 'utf8')).toMatch(/half-restored/)
}

describe('an interrupted restore (the process running it killed mid database restore)', () => {
  test('is refused by the next run, then rolled back with interrupted-restore: rollback', async () => {
    await diverge('before-interrupt')
    const before = { state: await homeState(fx.home), tables: await checksums('postgresql', fx.repoDb) }
    await interruptInChild('first')
    // The home now has swapped components and a half-restored database: the journal says so.
    expect(await checksums('postgresql', fx.repoDb)).not.toEqual(before.tables)

    // A plain restore refuses and names the way out.
    const refused = await runFailing(inputs())
    expect(refused.error.message).toMatch(/interrupted-restore/)

    // Roll the interrupted one back, then restore again.
    const second = await attempt(inputs({ [Input.InterruptedRestore]: 'rollback' }))
    if (second.error) throw new Error(`${second.error.message}\n--- log ---\n${second.logger.messages().join('\n')}`)
    const { result, logger } = second as Required<typeof second>
    expect(result.summary.facts.map(f => f.join(': ')).join('\n')).toMatch(/Earlier interrupted restore: rollback/)
    expect(logger.messages().join('\n')).toMatch(/Putting the repository database back from its safety dump/)
    // This run's previous folder holds what the home and the database were when it started — i.e. after the
    // rollback: the home as before the interrupted run, and a safety dump whose tables are as before it.
    const previous = result.outputs[Output.PreviousPath]!
    const kept = await homeState(previous)
    expect(kept.get('conf/diverged.txt')).toBe(before.state.get('conf/diverged.txt'))
    expect(kept.get('ext/synthetic.xml')).toBe(before.state.get('ext/synthetic.xml'))
    const loaded = uniqueName('e2e_rolledback')
    try {
      pgAdmin(`CREATE DATABASE ${loaded} OWNER ${fx.role.name};`)
      execFileSync(realPgRestore, [
        '--no-owner',
        `--role=${fx.role.name}`,
        '-h',
        '127.0.0.1',
        '-U',
        'postgres',
        '-d',
        loaded,
        path.join(previous, 'databases/repository/dump.pgdump')
      ])
      expect(await checksums('postgresql', { ...fx.repoDb, url: PG_URL(loaded) })).toEqual(before.tables)
    } finally {
      pgDropDatabase(loaded)
    }
    // And the restore of this run then went through: the backup's tables and files are in.
    expect(await checksums('postgresql', fx.repoDb)).toEqual(backedUp)
    expect((await homeState(fx.home)).has('conf/diverged.txt')).toBe(false)
  })

  test("is rolled back, database included, also when this run's components leave the databases out", async () => {
    await diverge('before-second-interrupt')
    const before = { state: await homeState(fx.home), tables: await checksums('postgresql', fx.repoDb) }
    await interruptInChild('second')
    expect(await checksums('postgresql', fx.repoDb)).not.toEqual(before.tables)

    const second = await attempt(inputs({ [Input.InterruptedRestore]: 'rollback', [Input.Components]: 'ext' }))
    if (second.error) throw new Error(`${second.error.message}\n--- log ---\n${second.logger.messages().join('\n')}`)
    const { result } = second as Required<typeof second>
    expect(result.outputs[Output.RestoredComponents]).toBe('ext')
    // The database is as before the interrupted run (this run does not restore it), and so is every folder but ext.
    expect(await checksums('postgresql', fx.repoDb)).toEqual(before.tables)
    const after = await homeState(fx.home)
    const notExt = (m: Map<string, string>) => new Map([...m].filter(([k]) => k !== 'ext' && !k.startsWith('ext/')))
    expect(notExt(after)).toEqual(notExt(before.state))
    expect(after.get('ext/synthetic.xml')).not.toBe(before.state.get('ext/synthetic.xml'))
  })
})
