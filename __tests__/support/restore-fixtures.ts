import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, cp, copyFile, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import type { FileRecord, Manifest } from '../../src/format/manifest.js'
import type { DatabaseRole } from '../../src/home/types.js'
import {
  backupTopLevel,
  selectComponents,
  type BackupDescription,
  type DatabaseRestorer,
  type Extractor,
  type RestoreRequest
} from '../../src/restore-engine/index.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { scratchFolder } from './scratch.js'

/** A file to write into a fixture home: content, mode, or a symlink target. */
type Entry = { content: string; mode?: number } | { link: string } | { dir: true; mode?: number }

/** A small JCR-era home: every kind of entry a restore must carry (modes, links, empty folders, index folders). */
export function homeEntries(variant: 'backup' | 'current'): Record<string, Entry> {
  const v = variant
  const entries: Record<string, Entry> = {
    'bin/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
    'lib/xlr-server-22.3.1.jar': { content: 'jar 22.3.1' },
    'conf/xl-release-server.conf': { content: `http.port=5516\nrepository.keystore.password={b64}${v}\n`, mode: 0o600 },
    'conf/xl-release.conf': { content: `xl { database { db-url = "jdbc:postgresql://db/${v}" } }\n`, mode: 0o640 },
    'conf/repository-keystore.jceks': { content: `keystore-${v}`, mode: 0o600 },
    'ext/synthetic.xml': { content: `<synthetic ${v}/>` },
    'ext/scripts/hook.py': { content: `print("${v}")\n`, mode: 0o750 },
    'ext/current': { link: 'scripts' },
    'plugins/__local__/mine.jar': { content: `my plugin ${v}` },
    'plugins/xlr-official/official.jar': { content: 'official' },
    'hotfix/lib': { dir: true, mode: 0o700 },
    'repository/repository/index/_0.cfs': { content: `index0 ${v}` },
    'repository/repository/index/segments_1': { content: `seg ${v}` },
    'repository/workspaces/default/index/_a.cfs': { content: `default idx ${v}` },
    'repository/workspaces/security/index/_b.cfs': { content: `security idx ${v}` },
    'repository/workspaces/default/data.bin': { content: `data ${v}`.repeat(50) },
    'repository/version/empty': { dir: true },
    'archive/db/seg0': { content: `archive ${v}` },
    'README.txt': { content: `home ${v}\n`, mode: 0o644 }
  }
  if (v === 'current') {
    // What changed since the backup: a new file, a removed one, a changed mode, a link to elsewhere, a new folder.
    delete entries['plugins/xlr-official/official.jar']
    entries['plugins/__local__/added-later.jar'] = { content: 'newer plugin' }
    entries['ext/current'] = { link: 'synthetic.xml' }
    entries['ext/synthetic.xml'] = { content: '<synthetic current/>', mode: 0o600 }
    entries['log/xl-release.log'] = { content: 'log line\n' }
    delete entries['archive/db/seg0']
    entries['archive/db/seg1'] = { content: 'archive current' }
  }
  return entries
}

export async function writeHome(dir: string, entries: Record<string, Entry>): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (const [rel, e] of Object.entries(entries)) {
    const full = path.join(dir, rel)
    if ('dir' in e) {
      await mkdir(full, { recursive: true })
      if (e.mode !== undefined) await chmod(full, e.mode)
      continue
    }
    await mkdir(path.dirname(full), { recursive: true })
    if ('link' in e) {
      await symlink(e.link, full)
    } else {
      await writeFile(full, e.content)
      await chmod(full, e.mode ?? 0o644)
    }
  }
}

/** Every entry below `dir` as 'type mode content-hash/link' keyed by relative path; `only` limits to top-level names. */
export async function treeState(dir: string, only?: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  async function walk(rel: string): Promise<void> {
    const full = path.join(dir, rel)
    const st = await lstat(full)
    const mode = (st.mode & 0o7777).toString(8)
    if (st.isSymbolicLink()) {
      out.set(rel, `link -> ${await readlink(full)}`)
    } else if (st.isDirectory()) {
      if (rel !== '') out.set(rel, `dir ${mode}`)
      for (const name of (await readdir(full)).sort()) {
        if (rel === '' && only && !only.includes(name)) continue
        await walk(rel === '' ? name : `${rel}/${name}`)
      }
    } else {
      out.set(
        rel,
        `file ${mode} ${createHash('sha256')
          .update(await readFile(full))
          .digest('hex')}`
      )
    }
  }
  await walk('')
  return out
}

/** One digest of a whole tree: equal digests mean equal contents, modes and links. */
export async function treeHash(dir: string, only?: string[]): Promise<string> {
  const state = await treeState(dir, only)
  return createHash('sha256')
    .update([...state].map(([k, v]) => `${k}\t${v}`).join('\n'))
    .digest('hex')
}

/** A manifest for a backed-up home folder, as the backup would have written it. */
export async function backupFromFolder(
  homeDir: string,
  opts: { name?: string; version?: string | null; databases?: DatabaseRole[] } = {}
): Promise<BackupDescription> {
  const files: FileRecord[] = []
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(path.join(homeDir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const full = path.join(homeDir, r)
      const st = await lstat(full)
      const base = { mode: st.mode & 0o7777, mtime: st.mtimeMs }
      if (st.isDirectory()) {
        files.push({ path: `home/${r}/`, type: 'directory', size: 0, ...base })
        await walk(r)
      } else if (st.isSymbolicLink()) {
        const target = await readlink(full)
        files.push({ path: `home/${r}`, type: 'symlink', size: target.length, target, ...base })
      } else {
        const sha256 = createHash('sha256')
          .update(await readFile(full))
          .digest('hex')
        files.push({ path: `home/${r}`, type: 'file', size: st.size, sha256, ...base })
      }
    }
  }
  await walk('')
  const databases: Manifest['databases'] = (opts.databases ?? []).map(role => ({
    roles: [role],
    engine: 'postgresql',
    url: `jdbc:postgresql://127.0.0.1:5432/${role}`,
    host: '127.0.0.1',
    port: 5432,
    database: role,
    embedded: false,
    dump: {
      format: 'pg-custom',
      prefix: `database/${role}/`,
      bytes: 10,
      tool: { name: 'pg_dump', version: '16' },
      serverVersion: '16',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z'
    }
  }))
  return {
    name: opts.name ?? 'xlr-backup-test',
    manifest: {
      files,
      databases,
      home: {
        path: '/opt/xl-release',
        xlReleaseVersion: opts.version === undefined ? '22.3.1' : opts.version,
        era: 'jcr',
        server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false }
      }
    }
  }
}

/** Extractor over a folder holding the backed-up home (the real one reads the verified zip). */
export class FolderExtractor implements Extractor {
  readonly calls: string[] = []
  /** Throw after writing part of this component (a disk error mid-extraction). */
  failOn?: string
  constructor(private readonly backupHome: string) {}
  async extract(prefix: string, dest: string): Promise<void> {
    this.calls.push(prefix)
    const rel = prefix.replace(/^home\//, '').replace(/\/$/, '')
    if (this.failOn === rel) {
      await mkdir(dest, { recursive: true })
      await writeFile(path.join(dest, 'partial'), 'half written')
      throw new Error(`ENOSPC: no space left on device, write '${path.join(dest, 'partial')}'`)
    }
    await cp(path.join(this.backupHome, rel), dest, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true
    })
  }
}

export type DbFault = 'safetyDump' | 'restore' | 'restore-after-partial-write' | 'kill-child' | 'rollback'

/**
 * A database that is a file outside the home: restore overwrites it with the backup's content, safety dumps copy it,
 * rollback copies the dump back — real side effects, so a test can prove the rollback by comparing bytes.
 */
export class FileDatabases implements DatabaseRestorer {
  readonly roles: DatabaseRole[]
  readonly calls: string[] = []
  faults: Partial<Record<DatabaseRole, DbFault>> = {}
  withRollback = true
  constructor(
    private readonly dir: string,
    roles: DatabaseRole[]
  ) {
    this.roles = roles
  }
  file(role: DatabaseRole): string {
    return path.join(this.dir, `${role}.db`)
  }
  describe(role: DatabaseRole): string {
    return `file database ${this.file(role)}`
  }
  async safetyDump(role: DatabaseRole, destDir: string): Promise<void> {
    this.calls.push(`safetyDump ${role}`)
    if (this.faults[role] === 'safetyDump') {
      await writeFile(path.join(destDir, 'dump.part'), 'partial')
      throw new Error(`pg_dump exited with code 1 (safety dump of ${role})`)
    }
    await copyFile(this.file(role), path.join(destDir, 'dump.db'))
  }
  async restore(role: DatabaseRole): Promise<void> {
    this.calls.push(`restore ${role}`)
    const fault = this.faults[role]
    if (fault === 'restore') throw new Error(`pg_restore exited with code 1 (${role})`)
    await writeFile(this.file(role), `half-restored ${role}`)
    if (fault === 'restore-after-partial-write') throw new Error(`pg_restore: connection lost (${role})`)
    if (fault === 'kill-child') await runKilledChild()
    await writeFile(this.file(role), `restored from backup: ${role}`)
  }
  async rollback(role: DatabaseRole, safetyDumpDir: string): Promise<void> {
    this.calls.push(`rollback ${role}`)
    if (this.faults[role] === 'rollback') throw new Error(`pg_restore of the safety dump failed (${role})`)
    await copyFile(path.join(safetyDumpDir, 'dump.db'), this.file(role))
  }
}

/** Spawns a real child (as pg_restore would run) and kills it with SIGKILL; rejects the way a tool wrapper would. */
async function runKilledChild(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' })
    child.on('spawn', () => child.kill('SIGKILL'))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal || code !== 0) reject(new Error(`pg_restore was killed by ${signal ?? `exit code ${code}`}`))
      else resolve()
    })
  })
}

/** A backed-up home, a changed current home and two file databases, all in one temp folder. */
export interface Scenario {
  root: string
  backupHome: string
  home: string
  dbDir: string
  backup: BackupDescription
}

/**
 * A scratch folder for the tests of the enclosing describe (or file), and a maker of scenarios, each in a new
 * subfolder of it.
 */
export function scenariosIn(prefix: string): (opts?: { databases?: boolean }) => Promise<Scenario> {
  let tmp = ''
  let n = 0
  scratchFolder(prefix, made => (tmp = made))
  return async (opts = {}) => await makeScenario(path.join(tmp, `s${++n}`), opts)
}

export async function makeScenario(root: string, opts: { databases?: boolean } = {}): Promise<Scenario> {
  const backupHome = path.join(root, 'backup-home')
  const home = path.join(root, 'home')
  const dbDir = path.join(root, 'db')
  await writeHome(backupHome, homeEntries('backup'))
  await writeHome(home, homeEntries('current'))
  await mkdir(dbDir, { recursive: true })
  await writeFile(path.join(dbDir, 'repository.db'), 'current repository rows')
  await writeFile(path.join(dbDir, 'archive.db'), 'current archive rows')
  const withDb = opts.databases ?? true
  const backup = await backupFromFolder(backupHome, { databases: withDb ? ['repository', 'archive'] : [] })
  return { root, backupHome, home, dbDir, backup }
}

/** Hash of everything a restore may touch: the home and the databases. */
export async function worldHash(s: Scenario): Promise<string> {
  return `${await treeHash(s.home)}/${await treeHash(s.dbDir)}`
}

/**
 * The restore request of scenario `s`: the components `over.input` names ('default' when absent) of what the backup
 * holds, a safety dump, index reset `resetIndexes`; `over` replaces any field.
 */
export function scenarioRequest(
  s: Scenario,
  resetIndexes: RestoreRequest['resetIndexes'],
  over: Partial<RestoreRequest> & { input?: string } = {}
): RestoreRequest {
  const hasDb = s.backup.manifest.databases.length > 0
  return {
    home: s.home,
    backup: s.backup,
    components: selectComponents(over.input ?? 'default', backupTopLevel(s.backup.manifest.files), hasDb),
    previousPath: '',
    safetyDump: true,
    resetIndexes,
    interrupted: '',
    dryRun: false,
    ...over
  }
}

/** The engine's parts for a scenario: its backed-up home as the extractor, its file databases, a memory logger. */
export function scenarioDeps(s: Scenario): {
  extractor: FolderExtractor
  databases: FileDatabases
  logger: MemoryLogger
} {
  return {
    extractor: new FolderExtractor(s.backupHome),
    databases: new FileDatabases(s.dbDir, ['repository', 'archive']),
    logger: new MemoryLogger()
  }
}
