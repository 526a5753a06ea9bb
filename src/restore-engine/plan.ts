import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import * as path from 'node:path'
import { HOME_PREFIX } from '../format/manifest.js'
import { InputError, RestoreError } from '../shared/errors.js'
import { formatBytes } from '../shared/progress.js'
import { backupTopLevel, componentWarnings } from './components.js'
import { defaultStatfs, lstatOrNull, nearestExisting, realPathOf, roundToBlock, treeSize } from './fs-ops.js'
import { decideIndexReset, indexFoldersInBackup, indexFoldersInHome } from './indexes.js'
import { JOURNAL_FILE } from './journal.js'
import { WORK_DIR_PREFIX } from '../format/restore-work-dir.js'
import type {
  PlannedComponent,
  PlannedDatabase,
  RestoreDeps,
  RestorePlan,
  RestoreRequest,
  StatfsResult
} from './types.js'
import { Input } from '../shared/io-names.js'

/** Room kept free beyond the estimate: the journal, folder blocks, and a margin so the disk is not filled to 0. */
const SPACE_MARGIN = 64 * 1024 * 1024
/** Inodes kept free for the same reason (safety dumps, the journal, the server's own files once it runs). */
const INODE_MARGIN = 4096

export function newRestoreId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

/**
 * Works out everything a restore will do without changing anything: the dry-run prints it, and `executeRestore`
 * carries it out step by step, so what the user reviewed is what happens.
 */
export async function planRestore(req: RestoreRequest, deps: RestoreDeps): Promise<RestorePlan> {
  // A home given through a symlink is restored where it really is: renames must happen on its real filesystem, and
  // the journal records real paths so a later run can check them exactly.
  const home = await realPathOf(req.home)
  const id = deps.id ?? newRestoreId()
  const homeSt = await lstatOrNull(home)
  if (homeSt && !homeSt.isDirectory()) {
    throw new RestoreError(`The home ${home} exists but is not a folder; give the home folder itself.`)
  }
  const workDir = path.join(home, `${WORK_DIR_PREFIX}${id}`)
  // Resolved through any symlink: a previous folder that is really inside a replaced component would be swapped out
  // with it.
  const previousDir = req.previousPath
    ? path.join(await realPathOf(req.previousPath), `xlr-restore-${id}`)
    : path.join(workDir, 'previous')
  const homeAnchor = await nearestExisting(home)
  const homeDev = (await stat(homeAnchor)).dev

  const homeComponents = req.components.filter(c => c.kind === 'home').map(c => c.name)
  const files = req.backup.manifest.files
  const inBackup = backupTopLevel(files)
  const sizes = backupSizes(files)
  for (const name of homeComponents) {
    if (!inBackup.includes(name)) throw new RestoreError(`The backup ${req.backup.name} holds no '${name}' to restore.`)
  }

  if (req.previousPath) {
    const prevAnchor = await nearestExisting(previousDir)
    if ((await stat(prevAnchor)).dev !== homeDev) {
      throw new InputError(
        Input.PreviousPath,
        `'${Input.PreviousPath}' ${req.previousPath} is on another filesystem than the home ${home}. The restore moves ` +
          `folders aside by renaming them, which only works within one filesystem (and so never copies or loses ` +
          `data half way). Choose a folder on the home's filesystem, or leave '${Input.PreviousPath}' empty to keep them in ` +
          `${path.join(home, `${WORK_DIR_PREFIX}<id>`, 'previous')}.`
      )
    }
    const inside = homeComponents.find(n => isInside(previousDir, path.join(home, n)))
    if (inside) {
      const real = path.dirname(previousDir)
      const through = real === path.resolve(req.previousPath) ? '' : ` (through a symlink it is ${real})`
      throw new InputError(
        Input.PreviousPath,
        `'${Input.PreviousPath}' ${req.previousPath}${through} is inside ${inside}/ of the home ${home}, which this ` +
          `restore replaces: what it keeps would be swapped out with it. Choose a folder outside the restored components.`
      )
    }
  }

  const components: PlannedComponent[] = []
  const linkWarnings: string[] = []
  let needed = SPACE_MARGIN
  let neededInodes = INODE_MARGIN
  for (const name of homeComponents) {
    const current = path.join(home, name)
    const st = homeSt ? await lstatOrNull(current) : null
    if (st && st.dev !== homeDev) {
      throw new RestoreError(
        `${current} is a separate filesystem (a mount point). The restore swaps components by renaming them, which ` +
          `cannot move a mount point. Leave '${name}' out of '${Input.Components}' and restore it by hand, or unmount it first.`
      )
    }
    if (st?.isSymbolicLink()) {
      linkWarnings.push(
        `${current} is a symlink; the restore replaces the link itself with the backup's ${name} inside the home ` +
          `(the link is kept in the previous folder, its target is not touched). Re-create the link by hand if the ` +
          `data must live elsewhere.`
      )
    }
    const size = st ? await treeSize(current) : null
    const backup = sizes.get(name) ?? { type: 'directory' as const, bytes: 0, files: 0, blocks: 0, entries: 0 }
    needed += backup.blocks
    neededInodes += backup.entries
    components.push({
      name,
      action: st ? 'replace' : 'add',
      current: st && size ? { type: typeOf(st), bytes: size.bytes, files: size.files } : null,
      backup: { type: backup.type, bytes: backup.bytes, files: backup.files },
      keptAt: st ? path.join(previousDir, name) : null
    })
  }

  const wantDatabases = req.components.some(c => c.kind === 'databases')
  if (wantDatabases && !deps.databases) {
    throw new RestoreError(
      `'${Input.Components}' asks for the databases but no database restorer is configured (database inputs 'none'?).`
    )
  }
  const databases: PlannedDatabase[] = []
  if (wantDatabases && deps.databases) {
    for (const role of deps.databases.roles) {
      const safetyDumpDir = req.safetyDump ? path.join(previousDir, 'databases', role) : null
      if (safetyDumpDir && deps.databases.estimateSafetyDumpBytes) {
        needed += (await deps.databases.estimateSafetyDumpBytes(role)) ?? 0
      }
      databases.push({ role, target: deps.databases.describe(role), safetyDumpDir })
    }
  }

  const hasDatabases = req.backup.manifest.databases.some(d => !d.embedded && d.dump)
  const repositoryRestored = homeComponents.includes('repository')
  const indexReset = decideIndexReset({
    mode: req.resetIndexes,
    repositoryRestored,
    databasesRestored: databases.length > 0,
    hasDatabases,
    databaseSource: req.databaseSource ?? 'backup',
    folders: repositoryRestored ? indexFoldersInBackup(files) : homeSt ? await indexFoldersInHome(home) : []
  })

  const warnings = linkWarnings.concat(
    componentWarnings(req.components, {
      version: req.backup.manifest.home.xlReleaseVersion,
      backupHasKeystore: holds(files, `${HOME_PREFIX}conf/repository-keystore.jceks`),
      hasDatabases
    })
  )
  const rewriteConf = Boolean(deps.rewriteConf) && homeComponents.includes('conf')
  if (deps.rewriteConf && !homeComponents.includes('conf')) {
    warnings.push(
      "A conf rewrite was requested (restore drill) but 'conf' is not restored: the home keeps its current " +
        'conf/xl-release.conf. Check which database it points at before starting the server.'
    )
  }

  const statfs = deps.statfs ?? defaultStatfs
  const fsInfo = await statfs(homeAnchor)
  return {
    id,
    home,
    homeExists: homeSt !== null,
    backupName: req.backup.name,
    workDir,
    stagingDir: path.join(workDir, 'staging'),
    previousDir,
    journalPath: path.join(workDir, JOURNAL_FILE),
    components,
    databases,
    indexReset,
    rewriteConf,
    space: {
      neededBytes: needed,
      freeBytes: fsInfo.bavail * fsInfo.bsize,
      neededInodes,
      freeInodes: freeInodes(fsInfo),
      checkedPath: homeAnchor
    },
    warnings
  }
}

/** Free inodes where the filesystem has a fixed number of them (ext4), else null (XFS and btrfs make them). */
export function freeInodes(fs: StatfsResult): number | null {
  return fs.files !== undefined && fs.files > 0 && fs.ffree !== undefined ? fs.ffree : null
}

/** Refuses, before anything changes, when the staging copy (and safety dumps) would not fit. */
export function assertEnoughSpace(plan: RestorePlan): void {
  const { neededBytes, freeBytes, neededInodes, freeInodes, checkedPath } = plan.space
  if (freeInodes !== null && neededInodes > freeInodes) {
    throw new RestoreError(
      `Not enough free inodes to restore: the staging copy needs about ${neededInodes} (one per file, folder and ` +
        `link, and ${INODE_MARGIN} to spare) on the filesystem of ${checkedPath}, which has ${freeInodes} free. ` +
        `Nothing was changed. Delete files there (an old previous folder ${WORK_DIR_PREFIX}*/previous holds a whole ` +
        `copy of what an earlier restore replaced), restore fewer '${Input.Components}', or restore onto a filesystem ` +
        `with more inodes.`
    )
  }
  if (neededBytes > freeBytes) {
    throw new RestoreError(
      `Not enough free space to restore: the staging copy${plan.databases.some(d => d.safetyDumpDir) ? ' and safety dumps need' : ' needs'} ` +
        `about ${formatBytes(neededBytes)} on the filesystem of ${checkedPath}, which has ${formatBytes(freeBytes)} ` +
        `free. Nothing was changed. Free space there (old logs in log/, an old previous folder ` +
        `${WORK_DIR_PREFIX}*/previous), restore fewer '${Input.Components}', or set '${Input.SafetyDump}: false' if you have another copy ` +
        `of the databases.`
    )
  }
}

interface BackupSize {
  type: 'directory' | 'file' | 'symlink'
  bytes: number
  files: number
  blocks: number
  /** Files, folders and links: an inode each. */
  entries: number
}

/** What each top-level name of the backed-up home holds, in one walk of the files. */
function backupSizes(files: RestoreRequest['backup']['manifest']['files']): Map<string, BackupSize> {
  const sizes = new Map<string, BackupSize>()
  for (const f of files) {
    if (!f.path.startsWith(HOME_PREFIX)) continue
    const rest = f.path.slice(HOME_PREFIX.length)
    const slash = rest.indexOf('/')
    const name = slash < 0 ? rest : rest.slice(0, slash)
    if (name === '') continue
    let size = sizes.get(name)
    if (!size) sizes.set(name, (size = { type: 'directory', bytes: 0, files: 0, blocks: 0, entries: 0 }))
    if (slash < 0) size.type = f.type
    size.entries++
    if (f.type === 'directory') {
      size.blocks += roundToBlock(0)
      continue
    }
    size.bytes += f.size
    size.files++
    size.blocks += roundToBlock(f.size)
  }
  return sizes
}

function holds(files: Iterable<{ path: string }>, name: string): boolean {
  for (const f of files) if (f.path === name) return true
  return false
}

function typeOf(st: { isDirectory(): boolean; isSymbolicLink(): boolean }): 'directory' | 'file' | 'symlink' {
  return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : 'file'
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
