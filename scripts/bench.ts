/**
 * `npm run bench [-- --scales 1,3 --runs 3 --dir /tmp/bench --homes DIR --cli FILE]`: the commands registered in
 * bench-registry.ts (the action's backup and restore against zip, unzip and tar+zstd, and what other modules add) on
 * the same generated home, interleaved: each of `runs` rounds runs every command once. Prints, per row, the median
 * and the spread (lowest–highest) of time and peak memory (RSS), and ratios taken within each round, then their
 * median; writes every run to bench-results/bench-<time>.json. Nothing here is asserted: it measures. `--homes`
 * keeps the generated homes in DIR/scale-N and reuses them next time. Run `npm run package` first: the action's
 * rows run the packaged CLI (bin/xlr-backup.js), or the one `--cli` names (a bundle built elsewhere with
 * `bash scripts/package.sh DIR`: then DIR/cli.js, leaving dist/ as it is).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeHome } from './make-home.js'
import { downtimeReport } from './bench-downtime.js'
import { benchCommands, benchRatios, type BenchScale } from './bench-registry.js'
import './bench-archive-rows.js'

interface Measure {
  seconds: number
  maxRssMb: number
  bytes?: number
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const args = process.argv.slice(2)
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const scales = arg('scales', '1,3').split(',').map(Number)
const runs = Number(arg('runs', '3'))
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${arg('runs', '')}`)
const base = arg('dir', path.join(os.tmpdir(), 'xlr-bench'))
const homes = arg('homes', '')

/** Runs a shell command under GNU time, returning wall seconds and the peak RSS of the command's largest process. */
function timed(command: string, cwd: string): Measure {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'bash', '-c', command], { cwd, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`benchmark command failed (${r.status}): ${command}\n${r.stderr}`)
  const last = r.stderr.trim().split('\n').pop() ?? ''
  const [seconds, kb] = last.split(' ').map(Number)
  return { seconds, maxRssMb: kb / 1024 }
}

function dropCaches(): void {
  // Only root can; otherwise each tool reads a warm page cache, which is the same for all of them.
  spawnSync('bash', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' })
}

function treeStats(dir: string): { files: number; bytes: number } {
  let files = 0
  let bytes = 0
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) {
        files++
        bytes += statSync(p).size
      }
    }
  }
  walk(dir)
  return { files, bytes }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** "median (lowest–highest)", or just the value for a single run. */
function spread(values: number[], digits: number): string {
  const f = (v: number): string => v.toFixed(digits)
  if (values.length === 1) return f(values[0])
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`
}

const cli = `node ${path.resolve(arg('cli', path.join(root, 'bin/xlr-backup.js')))}`
interface ScaleResult {
  scale: number
  home: { files: number; mb: number }
  /** Per command, one measure per round. */
  runs: Record<string, Measure[]>
  /** Per ratio, one value per round. */
  ratios: Record<string, number[]>
}
const results: ScaleResult[] = []
rmSync(base, { recursive: true, force: true })
mkdirSync(base, { recursive: true })

for (const scale of scales) {
  const dir = path.join(base, `scale-${scale}`)
  const home = homes ? path.join(homes, `scale-${scale}`) : path.join(dir, 'home')
  mkdirSync(dir, { recursive: true })
  if (!homes || !existsSync(home)) {
    process.stderr.write(`bench: generating a home at scale ${scale}…\n`)
    await makeHome(home, { scale })
  }
  const stats = treeStats(home)
  const s: BenchScale = { scale, dir, home, store: path.join(dir, 'store'), name: `bench-${scale}`, cli }
  const result: ScaleResult = {
    scale,
    home: { files: stats.files, mb: Number((stats.bytes / 2 ** 20).toFixed(1)) },
    runs: Object.fromEntries(benchCommands.map(c => [c.name, []])),
    ratios: Object.fromEntries(benchRatios.map(r => [r.name, []]))
  }
  for (let round = 1; round <= runs; round++) {
    process.stderr.write(`bench: scale ${scale}, round ${round} of ${runs}\n`)
    const measured: Record<string, Measure> = {}
    for (const c of benchCommands) {
      c.prepare?.(s)
      dropCaches()
      const m = timed(c.command(s), dir)
      const output = c.output?.(s)
      if (output) m.bytes = statSync(output).size
      measured[c.name] = m
      result.runs[c.name].push(m)
    }
    for (const r of benchRatios) {
      const of = measured[r.of]?.[r.measure ?? 'seconds']
      const to = measured[r.to]?.[r.measure ?? 'seconds']
      if (of !== undefined && to !== undefined && to > 0) result.ratios[r.name].push(of / to)
    }
  }
  results.push(result)
  rmSync(dir, { recursive: true, force: true })
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
const lines = [
  `machine: ${machine}, ${new Date().toISOString().slice(0, 10)}; ${runs} interleaved run(s): median (lowest–highest)`,
  '',
  '| scale | files | MB | what | seconds | peak RSS MB | output MB |',
  '| --- | --- | --- | --- | --- | --- | --- |'
]
for (const r of results) {
  for (const [what, ms] of Object.entries(r.runs)) {
    const bytes = ms.flatMap(m => (m.bytes === undefined ? [] : [m.bytes / 2 ** 20]))
    lines.push(
      `| ${r.scale} | ${r.home.files} | ${r.home.mb} | ${what} | ${spread(
        ms.map(m => m.seconds),
        2
      )} | ${spread(
        ms.map(m => m.maxRssMb),
        0
      )} | ${bytes.length ? median(bytes).toFixed(1) : ''} |`
    )
  }
}
lines.push(
  '',
  `| scale | ${benchRatios.map(r => r.name).join(' | ')} |`,
  `| --- | ${benchRatios.map(() => '---').join(' | ')} |`
)
for (const r of results) {
  const cells = benchRatios.map(q => (r.ratios[q.name].length ? spread(r.ratios[q.name], 3) : ''))
  lines.push(`| ${r.scale} | ${cells.join(' | ')} |`)
}
console.log(lines.join('\n'))
mkdirSync(path.join(root, 'bench-results'), { recursive: true })
const out = path.join(root, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(out, JSON.stringify({ machine, runs, results }, null, 2))
console.log(`\nwritten ${out}`)
rmSync(base, { recursive: true, force: true })
// The outage of 'downtime: minimal' against cp -a (scripts/bench-downtime.ts, also `npm run bench:downtime`).
if (args.includes('--downtime')) process.stdout.write(`\n${await downtimeReport(scales)}\n`)
