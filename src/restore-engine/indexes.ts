import { mkdir, readdir } from 'node:fs/promises'
import * as path from 'node:path'
import { HOME_PREFIX, type FileRecord } from '../format/manifest.js'
import { PRIVATE_DIR_MODE } from '../shared/private-files.js'
import { durableRename, lstatOrNull } from './fs-ops.js'
import type { PlannedIndexReset, ResetIndexesMode } from './types.js'
import { Input } from '../shared/io-names.js'

/** The Jackrabbit search indexes of a JCR-era home (≤7.2); the server rebuilds them at start when they are empty. */
export const JCR_INDEX_FOLDERS = [
  'repository/repository/index',
  'repository/workspaces/default/index',
  'repository/workspaces/security/index'
]

/** Where index contents moved aside are kept, inside the previous folder. */
export const INDEX_KEEP_DIR = 'jcr-indexes'

export interface IndexDecisionInput {
  mode: ResetIndexesMode
  repositoryRestored: boolean
  databasesRestored: boolean
  /** The backup holds external database dumps; without them the database is embedded in repository/. */
  hasDatabases: boolean
  databaseSource: 'backup' | 'separate'
  /** Index folders that will be in the home after the swap. */
  folders: string[]
}

export function decideIndexReset(i: IndexDecisionInput): PlannedIndexReset {
  if (i.folders.length === 0) {
    return { reset: false, reason: 'no JCR index folders (SQL-era home): nothing to reset', folders: [] }
  }
  if (i.mode === 'false') return { reset: false, reason: `'${Input.ResetIndexes}' is false`, folders: [] }
  if (i.mode === 'true') return { reset: true, reason: `'${Input.ResetIndexes}' is true`, folders: i.folders }
  if (!i.hasDatabases) {
    return {
      reset: false,
      reason: 'the database is embedded in repository/ and moves with it: indexes and data stay from one moment',
      folders: []
    }
  }
  if (i.repositoryRestored !== i.databasesRestored) {
    const only = i.repositoryRestored ? 'repository/' : 'the databases'
    const kept = i.repositoryRestored ? 'the current databases' : 'the current repository/'
    return {
      reset: true,
      reason: `only ${only} restored: ${kept} come from another moment, so the indexes would not match`,
      folders: i.folders
    }
  }
  if (i.repositoryRestored && i.databaseSource === 'separate') {
    return {
      reset: true,
      reason: 'the databases come from a separate dump, not from the moment of the repository/ folder',
      folders: i.folders
    }
  }
  return {
    reset: false,
    reason: i.repositoryRestored
      ? 'repository/ and the databases come from the same backup'
      : 'neither repository/ nor the databases are restored',
    folders: []
  }
}

/** Index folders present in the backup's home. */
export function indexFoldersInBackup(files: Iterable<Pick<FileRecord, 'path'>>): string[] {
  const found = new Set<string>()
  for (const f of files) {
    for (const folder of JCR_INDEX_FOLDERS) if (f.path.startsWith(`${HOME_PREFIX}${folder}/`)) found.add(folder)
  }
  return JCR_INDEX_FOLDERS.filter(folder => found.has(folder))
}

/** Index folders present in a home on disk. */
export async function indexFoldersInHome(home: string): Promise<string[]> {
  const found: string[] = []
  for (const folder of JCR_INDEX_FOLDERS) {
    const st = await lstatOrNull(path.join(home, folder))
    if (st?.isDirectory()) found.push(folder)
  }
  return found
}

/**
 * Empties one index folder by moving each entry into the previous folder (renames, so nothing is deleted and the
 * move can be undone). Safe to repeat: entries already moved are no longer in the source.
 */
export async function moveIndexContentsAside(home: string, previousDir: string, folder: string): Promise<number> {
  const src = path.join(home, folder)
  if (!(await lstatOrNull(src))?.isDirectory()) return 0
  const keep = path.join(previousDir, INDEX_KEEP_DIR, folder)
  await mkdir(keep, { recursive: true, mode: PRIVATE_DIR_MODE })
  let moved = 0
  for (const name of await readdir(src)) {
    await durableRename(path.join(src, name), path.join(keep, name))
    moved++
  }
  return moved
}

/** Undoes `moveIndexContentsAside`. Safe to repeat. */
export async function moveIndexContentsBack(home: string, previousDir: string, folder: string): Promise<number> {
  const keep = path.join(previousDir, INDEX_KEEP_DIR, folder)
  if (!(await lstatOrNull(keep))?.isDirectory()) return 0
  const dest = path.join(home, folder)
  let moved = 0
  for (const name of await readdir(keep)) {
    await durableRename(path.join(keep, name), path.join(dest, name))
    moved++
  }
  return moved
}
