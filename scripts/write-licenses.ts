/**
 * Writes the third-party notices of a bundle (`dist/licenses.txt`) from the bundle's own module list
 * (`ncc --stats-out`). ncc's `--license` misses the packages webpack concatenates into one module (ES modules such as
 * age-encryption and the @noble/@scure packages), so it is not used. A bundled package that states no licence at all
 * fails the build, unless `scripts/licence-exceptions.json` names it with the reason it may ship.
 *
 * Usage: tsx scripts/write-licenses.ts <stats.json> <licenses.txt> [<project root>]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

interface StatsModule {
  name?: string
  modules?: StatsModule[]
}
export interface BundleStats {
  modules?: StatsModule[]
  chunks?: { modules?: StatsModule[] }[]
}

/** The folder (relative to the project) of every package a bundled module comes from, nested copies included. */
export function bundledPackageDirs(stats: BundleStats): string[] {
  const dirs = new Set<string>()
  const walk = (modules: StatsModule[] | undefined): void => {
    for (const m of modules ?? []) {
      const match = m.name?.match(/^(?:\.\/)?((?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+)\//)
      if (match) dirs.add(match[1])
      walk(m.modules)
    }
  }
  walk(stats.modules)
  for (const chunk of stats.chunks ?? []) walk(chunk.modules)
  return [...dirs]
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i

/** One package's notice: name and version, its licence id, and the text of its licence files. */
export function noticeFor(root: string, dir: string, exceptions: Record<string, string>): string {
  const folder = path.join(root, dir)
  const pkg = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as {
    name: string
    version: string
    license?: string | { type?: string }
  }
  const id = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? '')
  const files = readdirSync(folder)
    .filter(f => LICENSE_FILE.test(f))
    .sort()
  const head = `${pkg.name} ${pkg.version}`
  if (files.length > 0) {
    const text = files.map(f => readFileSync(path.join(folder, f), 'utf8').trim()).join('\n\n')
    return `${head}\n${id || 'licence in the text below'}\n${text}`
  }
  if (id) return `${head}\n${id}\n(The package ships no licence text; its package.json declares ${id}.)`
  const reason = exceptions[pkg.name]
  if (reason) return `${head}\nno licence stated\n${reason}`
  throw new Error(
    `${pkg.name} ${pkg.version} (${dir}) is bundled but states no licence (no licence file, no 'license' in its package.json): find its terms and add it with the reason to scripts/licence-exceptions.json, or drop the package`
  )
}

export function writeLicenses(
  stats: BundleStats,
  out: string,
  root: string,
  exceptions: Record<string, string>
): number {
  const notices = new Map<string, string>()
  for (const dir of bundledPackageDirs(stats)) {
    const notice = noticeFor(root, dir, exceptions)
    notices.set(notice.split('\n')[0], notice)
  }
  const sorted = [...notices.keys()].sort().map(k => notices.get(k))
  writeFileSync(out, `${sorted.join('\n\n')}\n`)
  return notices.size
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [statsFile, out, root = process.cwd()] = process.argv.slice(2)
  try {
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as BundleStats
    const exceptions = JSON.parse(
      readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'licence-exceptions.json'), 'utf8')
    ) as Record<string, string>
    writeLicenses(stats, out, root, exceptions)
  } catch (error) {
    console.error(`licences: ${(error as Error).message}`)
    process.exitCode = 1
  }
}
