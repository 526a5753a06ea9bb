import type { Dirent } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import * as path from 'node:path'
import type { Logger } from '../shared/logger.js'
import type { GuardFinding } from './types.js'

/** Folders of the home where the embedded databases keep their lock files. */
const DATABASE_FOLDERS = ['repository', 'archive']
/**
 * Derby keeps db.lck at a database's root, which sits at most four levels down (repository/workspaces/default/db).
 * Bulky folders that never hold one are not entered: the JCR datastore fans out into 65 536 folders.
 */
const MAX_DEPTH = 5
const SKIPPED_FOLDERS = new Set(['datastore', 'seg0', 'index', 'log'])
const MAX_FOLDERS = 5000

interface LockKind {
  test: (name: string, relDir: string) => boolean
  what: string
}

const LOCK_KINDS: LockKind[] = [
  { test: (name, relDir) => name === '.lock' && relDir === 'repository', what: 'Jackrabbit repository lock' },
  { test: name => name === 'db.lck', what: 'Derby database lock' },
  { test: name => name.endsWith('.lock.db'), what: 'H2 database lock' }
]

/** Lock files of the embedded databases. They prove nothing alone (a crash leaves them), so findings never block. */
export async function findLockFiles(homePath: string, logger: Logger): Promise<GuardFinding[]> {
  const findings: GuardFinding[] = []
  let visited = 0
  const walk = async (relDir: string, depth: number): Promise<void> => {
    if (visited >= MAX_FOLDERS) return
    visited++
    let entries: Dirent[]
    try {
      entries = await readdir(path.join(homePath, relDir), { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') logger.debug(`Lock file probe: cannot read ${relDir} (${code})`)
      return
    }
    for (const e of entries) {
      const rel = path.join(relDir, e.name)
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIPPED_FOLDERS.has(e.name)) await walk(rel, depth + 1)
        continue
      }
      const kind = LOCK_KINDS.find(k => k.test(e.name, relDir.split(path.sep).join('/')))
      if (kind) findings.push(lockFinding(homePath, rel, kind.what))
    }
  }
  for (const folder of DATABASE_FOLDERS) {
    // Never follow a symlinked database folder out of the home.
    const st = await lstat(path.join(homePath, folder)).catch(() => null)
    if (st?.isDirectory()) await walk(folder, 1)
  }
  if (visited >= MAX_FOLDERS) logger.debug(`Lock file probe: stopped after ${MAX_FOLDERS} folders`)
  return findings
}

function lockFinding(homePath: string, rel: string, what: string): GuardFinding {
  const shown = rel.split(path.sep).join('/')
  return {
    probe: 'lock-file',
    blocking: false,
    path: path.join(homePath, rel),
    detail:
      `${shown} (${what}) exists. A server that crashed or was killed leaves it behind, so it does not prove the ` +
      'server runs: when no port or process probe fired, it is stale and the server is stopped.'
  }
}
