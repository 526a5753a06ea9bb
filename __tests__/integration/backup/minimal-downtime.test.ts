/**
 * 'downtime: minimal' through the real core: a home whose repository is in PostgreSQL and archive in MariaDB, a
 * stand-in server that writes to the home after the backup copied it but before it stops (the stop command does, then
 * keeps a copy of the home as it was at the stop), and that, the instant its start command runs, writes to both
 * databases and to the home. The backup must hold exactly the moment of the stop: a restore of it gives the files,
 * modes, mtimes and table checksums of the stop.
 */
import { execFileSync } from 'node:child_process'
import { lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { Input, Output } from '../../../src/settings/inputs.js'
import { SNAPSHOT_DIR_PREFIX } from '../../../src/format/snapshot-dir.js'
import { HOME_LOCK_NAME } from '../../../src/format/home-lock-name.js'
import { setRacyWindowForTests } from '../../../src/snapshot/racy-window.js'
import { Cleanup } from '../../support/guard-fixtures.js'
import { standIn, type StandIn } from '../../support/standin-server.js'
import { checksums, homeState, run, runFailing, useDbHome, type Inputs } from '../../support/e2e-restore.js'
import { PG, MARIA, mariaAdmin } from '../../support/database-fixtures.js'

const fx = useDbHome('xlr-mindown-', 'mindown', { archive: 'mariadb' })
const cleanup = new Cleanup()
let server: StandIn

beforeAll(async () => {
  // Files the start command changes: a journal appended to, a file deleted, an H2 store rewritten in place.
  await mkdir(path.join(fx.home, 'repository/db'), { recursive: true })
  await writeFile(path.join(fx.home, 'repository/db/xlr.mv.db'), Buffer.alloc(256 * 1024, 7))
  await writeFile(path.join(fx.home, 'repository/journal.log'), 'entry 1\n')
  await writeFile(path.join(fx.home, 'repository/db/xlr.trace.db'), Buffer.alloc(64 * 1024, 3))
  await utimes(path.join(fx.home, 'repository/db/xlr.trace.db'), H2_MTIME, H2_MTIME)
  server = await standIn(fx.tmp, fx.home, fx.port, cleanup)
  // Files written moments ago are racy, and would all be copied again during the stop: with no window, only a
  // changed stat brings a file into the stop, which is what this test checks.
  setRacyWindowForTests(0n)
})
afterAll(() => setRacyWindowForTests(null))
afterEach(async () => cleanup.run())

const H2_MTIME = 1_700_000_000.5
/** The home as it was at the stop, copied there by the stop command (without the backup's own folders). */
const atStop = (): string => path.join(fx.tmp, 'home-at-stop')

/**
 * What the server does after the backup copied the home and before it stops: a journal appended to, a file created,
 * one deleted, an H2 file rewritten in place with its mtime put back (only its ctime shows it). Then the stop command
 * keeps a copy of the home as it is at that moment.
 */
function writesBeforeStop(): string {
  const h = (rel: string): string => `'${path.join(fx.home, rel)}'`
  return [
    `echo 'before the stop' >> ${h('repository/journal.log')}`,
    `date +%s%N > ${h('repository/created-before-stop.txt')}`,
    `rm -f ${h('repository/doomed-before-stop.bin')}`,
    `date +%N | head -c 8 | dd of=${h('repository/db/xlr.trace.db')} bs=1 seek=8192 conv=notrunc status=none`,
    `touch -d @${H2_MTIME} ${h('repository/db/xlr.trace.db')}`,
    `rm -rf '${atStop()}'`,
    `cp -a '${fx.home}' '${atStop()}'`,
    `rm -rf '${atStop()}'/${SNAPSHOT_DIR_PREFIX}* '${atStop()}'/${HOME_LOCK_NAME}*`
  ].join(' && ')
}

/** What the server does the instant it starts: rows in both databases, and five kinds of change in the home. */
function writesAtStart(): string {
  const h = (rel: string): string => `'${path.join(fx.home, rel)}'`
  const pgSql =
    "INSERT INTO databasechangelog VALUES ('after-start', 'x', 'y', now(), 999); DELETE FROM xlr_tasks WHERE ci_uid % 3 = 0;"
  const mariaSql =
    "INSERT INTO DATABASECHANGELOG VALUES ('after-start', 'x', 'y', NOW(), 999); DELETE FROM XLR_TASKS WHERE CI_UID % 3 = 0;"
  return [
    `psql -X -q -h ${PG.host} -U ${PG.admin} -d ${fx.pg.database} -c "${pgSql}"`,
    `mysql -h ${MARIA.host} -u ${MARIA.admin} ${fx.maria.database} -e "${mariaSql}"`,
    `echo 'entry 2' >> ${h('repository/journal.log')}`,
    `echo '# touched by the server' >> ${h('conf/xl-release-server.conf')}`,
    `echo new > ${h('repository/created-after-start.txt')}`,
    `rm ${h('repository/doomed.bin')}`,
    `printf 'PAGE' | dd of=${h('repository/db/xlr.mv.db')} bs=1 seek=4096 conv=notrunc status=none`
  ].join(' && ')
}

function inputs(over: Inputs): Inputs {
  return fx.inputs({
    [Input.Mode]: 'backup',
    [Input.StopCommand]: `${writesBeforeStop()} && ${server.stopCommand}`,
    [Input.StartCommand]: server.startCommand(writesAtStart()),
    [Input.StopTimeout]: '20',
    // The machine's PostgreSQL is shared with other test files: a connection may wait behind their checkpoints.
    [Input.StartTimeout]: '90',
    ...over
  })
}

async function snapshotsLeft(): Promise<string[]> {
  return (await readdir(fx.home)).filter(n => n.startsWith(SNAPSHOT_DIR_PREFIX))
}

function manifestOf(name: string): { files: { path: string; mtime: number; mode: number }[] } {
  const text = execFileSync('unzip', ['-p', path.join(fx.store, name), 'manifest.json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  })
  return JSON.parse(text) as { files: { path: string; mtime: number; mode: number }[] }
}

describe.each([
  ['one job', '1', 'pg-custom'],
  ['two jobs', '2', 'pg-directory']
])('downtime: minimal, PostgreSQL with %s and MariaDB', (_label, jobs, format) => {
  test('the backup is the moment of the stop, not what the server wrote when it started', async () => {
    await writeFile(path.join(fx.home, 'repository/doomed.bin'), 'deleted by the server at its start')
    await writeFile(path.join(fx.home, 'repository/doomed-before-stop.bin'), 'deleted by the server before its stop')
    await server.start()
    const before = await homeState(fx.home)
    const sums = { repo: await checksums('postgresql', fx.repoDb), archive: await checksums('mariadb', fx.archiveDb) }
    const name = `mindown-${jobs}`

    const { result, logger } = await run(inputs({ [Input.Name]: name, [Input.DatabaseJobs]: jobs }))

    const log = logger.lines.map(l => l.message).join('\n')
    expect(log).toMatch(/Copied the home into .* while the server runs/)
    // The journal, the created file and the H2 file; the deleted one removed.
    expect(log).toMatch(
      /Captured the moment of the stop: the home \(in [\d.]+s: \d+ entries checked against the copy made before the stop, 3 files copied again, 0 of them racy, 0 folders or links made, 1 entries removed\)/
    )
    const stopped = await homeState(atStop())
    // The server did write before its stop, and the copy at the stop is the backup's moment.
    expect(stopped).not.toEqual(before)
    expect(stopped.has('repository/doomed-before-stop.bin')).toBe(false)
    const times = new Map<string, number>()
    for (const rel of stopped.keys()) times.set(`home/${rel}`, (await lstat(path.join(atStop(), rel))).mtimeMs)
    expect(times.get('home/repository/db/xlr.trace.db')).toBe(H2_MTIME * 1000)
    expect(Number(result.outputs[Output.DowntimeSeconds])).toBeGreaterThan(0)
    expect(await server.running()).toBe(true)
    expect(await snapshotsLeft()).toEqual([])
    // The server did write: the live state is not the backed-up one.
    expect(await checksums('postgresql', fx.repoDb)).not.toEqual(sums.repo)
    expect(await homeState(fx.home)).not.toEqual(stopped)
    const manifest = manifestOf(`${name}.zip`)
    expect(JSON.stringify(manifest)).toContain(format)
    // Recorded from the snapshot exactly as from the home: every mtime as the home's walker saw it.
    const recorded = manifest.files.filter(f => f.path.startsWith('home/') && f.path !== 'home/')
    expect(new Map(recorded.map(f => [f.path.replace(/\/$/, ''), f.mtime]))).toEqual(times)

    await server.stop()
    await run(
      fx.inputs({ [Input.Mode]: 'restore', [Input.Name]: name, [Input.Components]: 'all', [Input.DatabaseJobs]: jobs })
    )
    expect(await homeState(fx.home)).toEqual(stopped)
    expect(await checksums('postgresql', fx.repoDb)).toEqual(sums.repo)
    expect(await checksums('mariadb', fx.archiveDb)).toEqual(sums.archive)
  })
})

test('a dump that fails once the server is back fails the job: nothing stored, the server stays up', async () => {
  await writeFile(path.join(fx.home, 'repository/doomed.bin'), 'x')
  await server.start()
  // An administrator's kill (or idle_in_transaction_session_timeout) ends the session that holds the snapshot.
  const killHeld =
    `psql -X -q -h ${PG.host} -U ${PG.admin} -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity ` +
    `WHERE datname = '${fx.pg.database}' AND query LIKE '%pg_export_snapshot%'"`
  const { error } = await runFailing(
    inputs({ [Input.Name]: 'mindown-lost', [Input.StartCommand]: server.startCommand(killHeld) })
  )
  expect(error.message).toMatch(/pg_dump/)
  expect(await server.running()).toBe(true)
  expect((await readdir(fx.store)).filter(n => n.startsWith('mindown-lost'))).toEqual([])
  expect(await snapshotsLeft()).toEqual([])
})

test('a MariaDB table that is not transactional makes the backup full, with a warning naming it', async () => {
  mariaAdmin('CREATE TABLE XLR_LEGACY (ID INT) ENGINE=MyISAM;', fx.maria.database)
  try {
    await server.start()
    const { result, logger } = await run(
      inputs({ [Input.Name]: 'mindown-myisam', [Input.StartCommand]: server.startCommand() })
    )
    const warnings = logger.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings.join('\n')).toMatch(/not transactional.*: XLR_LEGACY \(MyISAM\)/)
    expect(result.summary.facts.find(([k]) => k === 'Server downtime')?.[1]).toMatch(/downtime: full/)
    expect(await snapshotsLeft()).toEqual([])
  } finally {
    mariaAdmin('DROP TABLE IF EXISTS XLR_LEGACY;', fx.maria.database)
  }
})

test('a server that is not running is backed up from its home, without copying the home first', async () => {
  if (await server.running()) await server.stop()
  const before = await homeState(fx.home)
  const { result, logger } = await run(inputs({ [Input.Name]: 'mindown-stopped' }))
  const log = logger.lines.map(l => l.message).join('\n')
  expect(log).toMatch(/XL Release is not running, so there is no outage to shorten/)
  expect(log).not.toMatch(/Copied the home into/)
  expect(result.summary.facts.find(([k]) => k === 'Server downtime')?.[1]).toBe(
    'none caused: the server was not running'
  )
  // Left as found: neither stopped nor started, and the home is not changed by the stand-in's commands.
  expect(await server.running()).toBe(false)
  expect(await homeState(fx.home)).toEqual(before)
  expect(await snapshotsLeft()).toEqual([])
  expect(manifestOf('mindown-stopped.zip').files.length).toBeGreaterThan(0)
})
