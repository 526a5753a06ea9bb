/**
 * `npx tsx scripts/profile-writer.ts <home> [--out FILE] [--level N] [--threads N] [--runs N]`: runs the ZIP writer
 * alone over a folder and prints, per run, CPU seconds (user + sys, all threads), wall seconds, peak RSS, peak V8 heap
 * in use (sampled every 50 ms), the archive size, and the main thread's own CPU seconds (Linux). On a shared machine CPU seconds are the figure to compare; wall time varies with everyone else's load.
 * Writes to /dev/null unless --out is given. Generate a home first with `npx tsx scripts/make-home.ts DIR --scale N`.
 */
import fs from 'node:fs'
import { ZipWriter } from '../src/archive/zip-writer.js'

const args = process.argv.slice(2)
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const home = args[0]
if (!home || home.startsWith('--')) {
  process.stderr.write('usage: profile-writer.ts <home> [--out FILE] [--level N] [--threads N] [--runs N]\n')
  process.exit(2)
}
const outFile = arg('out', '/dev/null')
const level = Number(arg('level', '6'))
const threads = Number(arg('threads', '2'))
const runs = Number(arg('runs', '1'))

/** CPU seconds of the main thread alone (Linux /proc; 10 ms ticks), or NaN elsewhere. */
function mainThreadCpu(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

let peakHeap = 0
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
}, 50)

for (let run = 1; run <= runs; run++) {
  const main0 = mainThreadCpu()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const out = fs.createWriteStream(outFile)
  const writer = new ZipWriter(out, { compressionLevel: level, threads })
  const entries = await writer.addTree(home, 'home/', { exclude: [] })
  const { bytesWritten } = await writer.finish()
  const cpu = process.cpuUsage(cpu0)
  const mainCpu = mainThreadCpu() - main0
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const rssMb = process.resourceUsage().maxRSS / 1024
  process.stdout.write(
    `run ${run}: ${entries} entries, level ${level}, threads ${threads}: ` +
      `cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, sys ${(cpu.system / 1e6).toFixed(2)}), main thread ${mainCpu.toFixed(2)} s, ` +
      `wall ${wall.toFixed(2)} s, peak RSS ${rssMb.toFixed(0)} MB, peak heap ${(peakHeap / 1e6).toFixed(0)} MB, ` +
      `${(bytesWritten / 1e6).toFixed(1)} MB\n`
  )
}
clearInterval(sampler)
