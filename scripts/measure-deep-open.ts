/**
 * Times opening a hostile-shaped backup: `entries` files, each `depth` folders deep (the shape that made opening
 * quadratic in the depth). Prints one line per run and the median: `npx tsx scripts/measure-deep-open.ts [runs] [links]`;
 * with `links` (a count), that many of the entries are symlinks whose 4 kB target walks down 2,000 more folders.
 * Run it under `flock /work/wt/bench.lock` on a shared machine.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { openBackupArchive } from '../src/archive/backup-archive.js'
import { writeBackup, type ZipEntrySpec } from '../__tests__/support/archive-fixtures.js'

const ENTRIES = 1000
const DEPTH = 4000

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3)
  const links = Number(process.argv[3] ?? 0)
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'xlr-deep-open-'))
  try {
    const zip = path.join(tmp, 'deep.zip')
    const deep = `home/${'d/'.repeat(DEPTH)}`
    const entries: ZipEntrySpec[] = [{ name: 'home/', kind: 'directory' }]
    const walk = `${'a/'.repeat(2000)}x`.slice(0, 4000)
    for (let i = 0; i < ENTRIES; i++) {
      entries.push(
        i < links ? { name: `${deep}l${i}`, kind: 'symlink', data: walk } : { name: `${deep}f${i}`, data: `${i}` }
      )
    }
    await writeBackup(zip, entries)
    const times: number[] = []
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint()
      try {
        const archive = await openBackupArchive(zip)
        await archive.close()
      } catch (error) {
        console.log(`refused: ${(error as Error).message.slice(0, 200)}`)
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9
      times.push(s)
      console.log(`run ${r + 1}: ${s.toFixed(3)} s`)
    }
    times.sort((a, b) => a - b)
    console.log(
      `${ENTRIES} entries × ${DEPTH} deep (${links} links): median ${times[Math.floor(times.length / 2)].toFixed(3)} s, ` +
        `min ${times[0].toFixed(3)} s, max ${times[times.length - 1].toFixed(3)} s`
    )
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

await main()
