import { lstat, readdir, realpath } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { DATABASE_INPUTS } from '../../database/resolve.js'
import type { DatabaseTarget } from '../../database/types.js'
import type { HomeInfo } from '../../home/types.js'
import { InputError } from '../../shared/errors.js'

/** How deep below repository/ or archive/ the database files of a default (URL-less) embedded database are sought. */
const SEARCH_DEPTH = 4
/** Folder entries looked at per search at most: the first database file is near the top in every known layout. */
const SEARCH_ENTRIES = 20_000

/**
 * An embedded database is backed up as files of the home, so a role counts as embedded only when those files are
 * there: H2 (`<name>.mv.db`, `<name>.h2.db`) or Derby (a folder with `service.properties` or `seg0/`). Anything else
 * — no files, or files outside the home — means the backup would silently hold no data of that role: refused, naming
 * the inputs that fix it.
 */
export async function checkEmbeddedDatabases(home: HomeInfo, targets: DatabaseTarget[]): Promise<string[]> {
  const notes: string[] = []
  const realHome = await realpath(home.path)
  for (const t of targets.filter(x => x.embedded)) {
    const role = t.roles[0]
    const protocol = t.params.protocol
    if (protocol === 'mem' || protocol === 'memory') {
      notes.push(
        `The ${role} database is in memory (${t.url}): it holds nothing across a restart, so nothing to back up.`
      )
      continue
    }
    const found = t.url === '' ? await findBelow(path.join(realHome, t.database ?? '')) : await findAt(realHome, t)
    if (!found) throw missing(home, t)
    const real = await realpath(found)
    if (!isInside(real, realHome)) {
      throw new InputError(
        DATABASE_INPUTS[role].url,
        `The ${role} database is embedded (${t.url}, ${t.configSource ?? 'the home config'}) but its files are at ` +
          `${real}, outside the home ${realHome}: the home archive would not hold them. Set '${DATABASE_INPUTS[role].url}' ` +
          `if the server uses another database, or set 'database: none' and back that folder up another way.`
      )
    }
    notes.push(`The ${role} database is embedded: ${path.relative(realHome, real)} is in the home archive.`)
  }
  return notes
}

function missing(home: HomeInfo, t: DatabaseTarget): InputError {
  const role = t.roles[0]
  const names = DATABASE_INPUTS[role]
  const where =
    t.url === ''
      ? `no database URL is configured for it (${configKey(home, role)}), so the server would use its embedded ` +
        `database in ${t.database}, but no H2 (*.mv.db, *.h2.db) or Derby (service.properties, seg0/) files are there`
      : `${t.configSource ?? 'the home config'} names the embedded ${t.engine} database ${t.url}, but its files are not there`
  return new InputError(
    names.url,
    `The ${role} database is not in the home: ${where}. A backup now would hold no ${role} data. If the server uses ` +
      `an external database that its config does not show to this job (set in its service environment, or in a ` +
      `file this job does not read), set '${names.url}' (with '${names.username}' and '${names.password}'); if the ` +
      `server never started (no data yet) or the databases are backed up another way, set 'database: none'.`
  )
}

function configKey(home: HomeInfo, role: DatabaseTarget['roles'][number]): string {
  const key =
    role === 'repository'
      ? home.era === 'jcr'
        ? 'xl.repository.persistence.jdbcUrl'
        : 'xl.database.db-url'
      : 'xl.reporting.db-url'
  return `${key} in conf/xl-release.conf`
}

/** The files of an embedded database named by its URL; relative paths are relative to the home, the server's cwd. */
async function findAt(home: string, t: DatabaseTarget): Promise<string | null> {
  const raw = t.database ?? ''
  const location = raw.startsWith('~') ? path.join(os.homedir(), raw.slice(1)) : path.resolve(home, raw)
  const candidates =
    t.engine === 'h2'
      ? [`${location}.mv.db`, `${location}.h2.db`]
      : [path.join(location, 'service.properties'), path.join(location, 'seg0')]
  for (const c of candidates) if (await exists(c)) return c
  return null
}

/** The first H2 or Derby file below `dir`, breadth first (bounded), or null. */
async function findBelow(dir: string): Promise<string | null> {
  let level = [dir]
  let seen = 0
  for (let depth = 0; depth <= SEARCH_DEPTH && level.length > 0; depth++) {
    const next: string[] = []
    for (const d of level) {
      let entries
      try {
        entries = await readdir(d, { withFileTypes: true })
      } catch {
        continue
      }
      for (const e of entries) {
        if (++seen > SEARCH_ENTRIES) return null
        const full = path.join(d, e.name)
        if (e.isFile() && (e.name.endsWith('.mv.db') || e.name.endsWith('.h2.db') || e.name === 'service.properties')) {
          return full
        }
        if (e.isDirectory()) {
          if (e.name === 'seg0') return full
          next.push(full)
        }
      }
    }
    level = next
  }
  return null
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch {
    return false
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
