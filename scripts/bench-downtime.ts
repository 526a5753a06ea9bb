/**
 * `npm run bench:downtime [-- --scales 1,3 --runs 3 --db-mb 200 --dir /tmp/xlr-bench-downtime --baseline <checkout>]`:
 * the outage of a backup with 'downtime: minimal' against a plain `cp -a` of the same home, interleaved run by run,
 * with a stand-in server on the home's port (stopped and started by the backup as a real one would be; before it
 * stops, it changes a handful of files, as a running server does while the home is copied). Rows: the home alone at
 * each scale; the largest scale with a PostgreSQL database of `--db-mb` MB (the outage's share of the whole backup);
 * and, where this machine can loop-mount an XFS image with reflinks (root, mkfs.xfs), the largest scale on it.
 * `--baseline` runs the CLI of another checkout (with its node_modules) too, interleaved, for its outage beside this
 * one's. A freshly written home is "racy" (every file is copied again during the stop) until it is older than the
 * racy window: the bench waits for that before the first run of a home, and says so. Medians and spread (min–max) of
 * `--runs`. Prints a table and writes bench-results/downtime-<time>.json; asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { walkTree } from '../src/archive/tree-walker.js'
import { racyWindowNs } from '../src/snapshot/racy-window.js'
import { makeHome } from './make-home.js'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const FAKE_SERVER = path.join(root, '__tests__/support/fake-xlr-server.mjs')
// The CLI from the sources (not the bundle in dist/, which the integrator rebuilds): what this branch does.
const cliOf = (checkout: string): string =>
  `${path.join(checkout, 'node_modules/.bin/tsx')} ${path.join(checkout, 'src/cli-main.ts')}`
const cli = cliOf(root)

interface Options {
  scales: number[]
  runs: number
  dbMb: number
  base: string
  /** Another checkout whose CLI runs too, interleaved (its outage beside this one's). */
  baseline: string | null
}

interface Row {
  row: string
  cpA: number[]
  downtime: number[]
  total: number[]
  /** What the stop's pass over the pre-copy did, as the log says, per run. */
  pass2: string[]
  baselineDowntime: number[]
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`

function sh(command: string): string {
  return execFileSync('bash', ['-c', command], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
}

function dropCaches(): void {
  spawnSync('bash', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' })
}

async function freePort(): Promise<number> {
  return await new Promise(resolve => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/**
 * Waits until every file of `home` is older than the racy window, so that the runs measure a home as a server leaves
 * it (most files untouched for long), not one written moments ago, which the stop would copy again in full.
 */
async function waitOutOfRacyWindow(home: string): Promise<void> {
  let newest = 0n
  for await (const entry of walkTree(home, { exactStats: true })) {
    const { mtimeNs, ctimeNs } = entry.exact!
    if (mtimeNs > newest) newest = mtimeNs
    if (ctimeNs > newest) newest = ctimeNs
  }
  const until = Number((newest + racyWindowNs()) / 1_000_000n)
  const wait = until - Date.now()
  if (wait <= 0) return
  process.stderr.write(
    `bench-downtime: waiting ${(wait / 1000).toFixed(0)} s until the home is older than the racy window ` +
      `(files changed within it are copied again during the stop)…\n`
  )
  await new Promise(resolve => setTimeout(resolve, wait + 1000))
}

/** The home's http.port set to a free port, and the stand-in server's commands. */
async function serverFor(home: string, dir: string): Promise<{ start: string; stop: string }> {
  const port = await freePort()
  const conf = path.join(home, 'conf/xl-release-server.conf')
  writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^http\.port=\d+$/m, `http.port=${port}`))
  const pid = path.join(dir, 'server.pid')
  // What a running server does to its home while the backup copies it before the stop: a log and a journal
  // appended to, a state file rewritten, a temporary file created and one removed.
  const writes = [
    `date >> ${home}/log/xl-release.log`,
    `date >> ${home}/conf/bench-journal.log`,
    `date +%s%N > ${home}/conf/bench-state.txt`,
    `rm -f ${home}/conf/bench-tmp-*`,
    `date +%s%N > ${home}/conf/bench-tmp-$$`
  ].join('; ')
  return {
    // The whole background group is redirected: a subshell left holding our pipe would keep execFileSync waiting.
    start: `(cd ${home} && exec nohup node ${FAKE_SERVER} ${port} ${pid}) >/dev/null 2>&1 </dev/null & sleep 0.3`,
    stop: `${writes}; kill "$(cat ${pid})"`
  }
}

/**
 * One backup with the stand-in server running: its downtime and total seconds, as the CLI's outputs say, and what
 * the stop's pass over the pre-copy did, as its log says.
 */
function backup(
  home: string,
  dir: string,
  server: { start: string; stop: string },
  extra: string,
  withCli = cli
): [number, number, string] {
  sh(server.start)
  rmSync(path.join(dir, 'store'), { recursive: true, force: true })
  dropCaches()
  const out = sh(
    `${withCli} backup --home ${home} --storage directory --path ${dir}/store --name bench --stop-command '${server.stop}' ` +
      `--start-command '${server.start}' --stop-timeout 60 --start-timeout 60 ${extra} 2>&1`
  )
  sh(`kill "$(cat ${dir}/server.pid)"; sleep 0.6`)
  const value = (name: string): number => Number(new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1])
  const pass2 = /Captured the moment of the stop: the home \((.*? entries removed)\)/.exec(out)?.[1] ?? ''
  return [value('downtime-seconds'), value('duration-seconds'), pass2]
}

function cpA(home: string, dir: string): number {
  rmSync(path.join(dir, 'copy'), { recursive: true, force: true })
  dropCaches()
  const t0 = process.hrtime.bigint()
  sh(`cp -a ${home} ${dir}/copy`)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  rmSync(path.join(dir, 'copy'), { recursive: true, force: true })
  return seconds
}

async function measure(
  row: string,
  home: string,
  dir: string,
  opts: Pick<Options, 'runs' | 'baseline'>,
  extra = ''
): Promise<Row> {
  const server = await serverFor(home, dir)
  await waitOutOfRacyWindow(home)
  const r: Row = { row, cpA: [], downtime: [], total: [], pass2: [], baselineDowntime: [] }
  for (let i = 0; i < opts.runs; i++) {
    process.stderr.write(`bench-downtime: ${row}, run ${i + 1}/${opts.runs}…\n`)
    r.cpA.push(cpA(home, dir))
    const [down, total, pass2] = backup(home, dir, server, extra)
    r.downtime.push(down)
    r.total.push(total)
    r.pass2.push(pass2)
    process.stderr.write(
      `  cp -a ${r.cpA[i].toFixed(2)} s, downtime ${down.toFixed(2)} s, total ${total.toFixed(1)} s; stop: ${pass2}\n`
    )
    if (opts.baseline) {
      const [baseDown] = backup(home, dir, server, extra, cliOf(opts.baseline))
      r.baselineDowntime.push(baseDown)
      process.stderr.write(`  baseline downtime ${baseDown.toFixed(2)} s\n`)
    }
  }
  return r
}

/** A PostgreSQL database of about `mb` MB (trust login as postgres on 127.0.0.1) and the conf that points at it. */
function makeDatabase(home: string, mb: number): { drop: () => void } {
  const db = `bench_downtime_${process.pid}`
  const psql = (sql: string, d = 'postgres'): string => sh(`psql -X -q -h 127.0.0.1 -U postgres -d ${d} -c "${sql}"`)
  psql(`CREATE DATABASE ${db}`)
  psql(
    `CREATE TABLE xl_version (component text PRIMARY KEY, version text); INSERT INTO xl_version VALUES ('xl-release', '24.1.3')`,
    db
  )
  // About 450 bytes a row on disk.
  const rows = Math.round((mb * 1024 * 1024) / 450)
  psql(
    `CREATE TABLE xlr_bench AS SELECT i AS id, md5(i::text) || repeat(md5((i * 7)::text), 10) AS payload FROM generate_series(1, ${rows}) i`,
    db
  )
  writeFileSync(
    path.join(home, 'conf/xl-release.conf'),
    `xl {\n  database {\n    db-url = "jdbc:postgresql://127.0.0.1:5432/${db}"\n    db-username = "postgres"\n    db-password = ""\n  }\n}\n`
  )
  return { drop: () => psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`) }
}

/** Mounts a fresh XFS image with reflinks at `at`; null (and why) when this machine does not let us. */
function mountXfs(image: string, at: string, gb: number): string | null {
  if (process.getuid?.() !== 0) return 'not root'
  if (spawnSync('bash', ['-c', 'command -v mkfs.xfs']).status !== 0)
    return 'mkfs.xfs is not installed (apt-get install xfsprogs)'
  try {
    sh(
      `truncate -s ${gb}G ${image} && mkfs.xfs -q -m reflink=1 ${image} && mkdir -p ${at} && mount -o loop ${image} ${at}`
    )
    return null
  } catch (error) {
    return `mounting an XFS image failed: ${(error as Error).message.split('\n')[0]}`
  }
}

async function benchDowntime(opts: Options): Promise<{ rows: Row[]; reflink: string }> {
  rmSync(opts.base, { recursive: true, force: true })
  mkdirSync(opts.base, { recursive: true })
  const rows: Row[] = []
  const largest = Math.max(...opts.scales)
  for (const scale of opts.scales) {
    const dir = path.join(opts.base, `scale-${scale}`)
    mkdirSync(dir, { recursive: true })
    await makeHome(path.join(dir, 'home'), { scale })
    rows.push(await measure(`scale ${scale}, no database`, path.join(dir, 'home'), dir, opts, '--database none'))
    if (scale === largest) {
      const db = makeDatabase(path.join(dir, 'home'), opts.dbMb)
      try {
        rows.push(await measure(`scale ${scale}, PostgreSQL ${opts.dbMb} MB`, path.join(dir, 'home'), dir, opts))
      } finally {
        db.drop()
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const at = path.join(opts.base, 'xfs')
  const why = mountXfs(path.join(opts.base, 'xfs.img'), at, 8)
  let reflink = why ?? 'XFS image, loop-mounted, reflink=1'
  if (!why) {
    try {
      await makeHome(path.join(at, 'home'), { scale: largest })
      rows.push(
        await measure(`scale ${largest}, XFS with reflinks`, path.join(at, 'home'), at, opts, '--database none')
      )
    } catch (error) {
      reflink = `the XFS row failed: ${(error as Error).message.split('\n')[0]}`
    } finally {
      spawnSync('umount', [at])
    }
  }
  rmSync(opts.base, { recursive: true, force: true })
  return { rows, reflink }
}

/** The downtime rows as `npm run bench -- --downtime` prints them after its own table. */
export async function downtimeReport(scales: number[], runs = 3): Promise<string> {
  const { rows, reflink } = await benchDowntime({
    scales,
    runs,
    dbMb: 200,
    base: path.join(os.tmpdir(), 'xlr-bench-downtime'),
    baseline: null
  })
  return `Downtime ('downtime: minimal'), reflink row: ${reflink}\n\n${downtimeTable(rows)}`
}

function downtimeTable(rows: Row[]): string {
  const line = (r: Row): string => {
    const ratio = r.downtime.map((d, i) => d / r.cpA[i])
    const share = r.downtime.map((d, i) => (d / r.total[i]) * 100)
    return (
      `| ${r.row} | ${median(r.downtime).toFixed(2)} (${spread(r.downtime)}) | ${median(r.cpA).toFixed(2)} (${spread(r.cpA)}) ` +
      `| ${median(ratio).toFixed(2)} (${spread(ratio)}) | ${median(r.total).toFixed(2)} (${spread(r.total)}) ` +
      `| ${median(share).toFixed(0)}% (${spread(share)}) |` +
      (baseline ? ` ${median(r.baselineDowntime).toFixed(2)} (${spread(r.baselineDowntime)}) |` : '')
    )
  }
  const baseline = rows.some(r => r.baselineDowntime.length > 0)
  const stops = rows.map(r => `- ${r.row}, the stop's pass over the pre-copy: ${r.pass2.join(' / ')}`)
  return [
    '| row | downtime s | cp -a s | downtime/cp -a | total s | downtime share |' +
      (baseline ? ' baseline downtime s |' : ''),
    '|---|---|---|---|---|---|' + (baseline ? '---|' : ''),
    ...rows.map(line),
    '',
    ...stops
  ].join('\n')
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2)
  const arg = (name: string, fallback: string): string => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : fallback
  }
  const { rows, reflink } = await benchDowntime({
    scales: arg('scales', '1,3').split(',').map(Number),
    runs: Number(arg('runs', '3')),
    dbMb: Number(arg('db-mb', '200')),
    base: arg('dir', path.join(os.tmpdir(), 'xlr-bench-downtime')),
    baseline: args.includes('--baseline') ? path.resolve(arg('baseline', '')) : null
  })
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`
  process.stdout.write(`${machine}\nreflink row: ${reflink}\n\n${downtimeTable(rows)}\n`)
  const out = path.join(root, 'bench-results', `downtime-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ machine, reflink, rows }, null, 2))
}
