/**
 * `npm run bench [-- --scales 1,3 --dir /tmp/bench]`: the action's backup and restore against zip, unzip and
 * tar+zstd on the same generated home, in one run, with time, peak memory (RSS) and archive sizes. Prints a table
 * and writes bench-results/bench-<time>.json. Nothing here is asserted: it measures.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeHome } from './make-home.js'
import { downtimeReport } from './bench-downtime.js'

interface Measure {
  seconds: number
  maxRssMb: number
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const args = process.argv.slice(2)
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const scales = arg('scales', '1,3').split(',').map(Number)
const base = arg('dir', path.join(os.tmpdir(), 'xlr-bench'))

/** Runs a shell command under GNU time, returning wall seconds and the peak RSS of the command's largest process. */
function timed(command: string, cwd = base): Measure {
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

function size(file: string): number {
  return statSync(file).size
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

const cli = `node ${path.join(root, 'bin/xlr-backup.js')}`
const results: Record<string, unknown>[] = []
rmSync(base, { recursive: true, force: true })
mkdirSync(base, { recursive: true })

for (const scale of scales) {
  const dir = path.join(base, `scale-${scale}`)
  const home = path.join(dir, 'home')
  mkdirSync(dir, { recursive: true })
  process.stderr.write(`bench: generating a home at scale ${scale}…\n`)
  await makeHome(home, { scale })
  const stats = treeStats(home)
  const name = `bench-${scale}`
  const store = path.join(dir, 'store')
  const run: Record<string, Measure & { bytes?: number }> = {}

  dropCaches()
  run.actionBackup = timed(
    `${cli} backup --home ${home} --storage directory --path ${store} --database none --name ${name} >/dev/null 2>&1`
  )
  run.actionBackup.bytes = size(path.join(store, `${name}.zip`))
  dropCaches()
  run.zip6 = timed(`cd ${home} && zip -r -q -y -6 ${dir}/zip6.zip .`)
  run.zip6.bytes = size(`${dir}/zip6.zip`)
  dropCaches()
  run.tarZstd = timed(`tar -C ${home} -cf - . | zstd -q -T0 -3 -o ${dir}/home.tar.zst`)
  run.tarZstd.bytes = size(`${dir}/home.tar.zst`)
  spawnSync('tar', ['-C', home, '-cf', `${dir}/home.tar`, '.'])

  dropCaches()
  run.actionRestore = timed(
    `${cli} restore --home ${dir}/restored --storage directory --path ${store} --name ${name} --components all --database none --safety-dump false >/dev/null 2>&1`
  )
  dropCaches()
  run.unzip = timed(`mkdir -p ${dir}/unzipped && unzip -q ${store}/${name}.zip -d ${dir}/unzipped`)
  dropCaches()
  run.untar = timed(`mkdir -p ${dir}/untarred && tar -xf ${dir}/home.tar -C ${dir}/untarred`)

  const ratio = (a: Measure, b: Measure): number => Number((a.seconds / b.seconds).toFixed(2))
  results.push({
    scale,
    home: { files: stats.files, mb: Number((stats.bytes / 2 ** 20).toFixed(1)) },
    runs: run,
    ratios: {
      backupVsZip6: ratio(run.actionBackup, run.zip6),
      backupVsTarZstd: ratio(run.actionBackup, run.tarZstd),
      restoreVsUnzip: ratio(run.actionRestore, run.unzip),
      restoreVsUntar: ratio(run.actionRestore, run.untar),
      sizeVsZip6: Number(((run.actionBackup.bytes ?? 0) / (run.zip6.bytes ?? 1)).toFixed(3))
    }
  })
  rmSync(dir, { recursive: true, force: true })
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
const lines = [
  `machine: ${machine}`,
  '',
  '| scale | files | MB | what | seconds | peak RSS MB | archive MB |',
  '| --- | --- | --- | --- | --- | --- | --- |'
]
for (const r of results) {
  const h = r.home as { files: number; mb: number }
  for (const [what, m] of Object.entries(r.runs as Record<string, Measure & { bytes?: number }>)) {
    lines.push(
      `| ${r.scale} | ${h.files} | ${h.mb} | ${what} | ${m.seconds.toFixed(2)} | ${m.maxRssMb.toFixed(0)} | ${m.bytes ? (m.bytes / 2 ** 20).toFixed(1) : ''} |`
    )
  }
}
lines.push(
  '',
  '| scale | backup/zip -6 | backup/tar+zstd | restore/unzip | restore/untar | size/zip -6 |',
  '| --- | --- | --- | --- | --- | --- |'
)
for (const r of results) {
  const q = r.ratios as Record<string, number>
  lines.push(
    `| ${r.scale} | ${q.backupVsZip6} | ${q.backupVsTarZstd} | ${q.restoreVsUnzip} | ${q.restoreVsUntar} | ${q.sizeVsZip6} |`
  )
}
console.log(lines.join('\n'))
mkdirSync(path.join(root, 'bench-results'), { recursive: true })
const out = path.join(root, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(out, JSON.stringify({ machine, results }, null, 2))
console.log(`\nwritten ${out}`)
rmSync(base, { recursive: true, force: true })
// The outage of 'downtime: minimal' against cp -a (scripts/bench-downtime.ts, also `npm run bench:downtime`).
if (args.includes('--downtime')) process.stdout.write(`\n${await downtimeReport(scales)}\n`)
