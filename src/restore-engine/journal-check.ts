import { lstat, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { lstatOrNull, nearestExisting } from './fs-ops.js'
import { foreign, isInside } from './journal-schema.js'
import type { Journal } from './types.js'

/**
 * Checks that a well-formed journal found at `file` was written by a restore of the home folder `home` (its real
 * path): found in its own work folder, naming this home, written by this user and private, recorded for this very
 * folder (a copied home has another inode), and with a previous folder reached through no symlink.
 */
export async function checkJournalBelongs(file: string, journal: Journal, home: string): Promise<void> {
  const realHome = await realpath(home)
  if (journal.home !== realHome) {
    throw foreign(file, `it names the home ${journal.home}, but it was found in ${realHome} (a copied or moved home?)`)
  }
  if (path.dirname(file) !== journal.workDir) {
    throw foreign(file, `it names the work folder ${journal.workDir}, but it was found in ${path.dirname(file)}`)
  }
  if (journal.homeIdentity) {
    const st = await stat(realHome)
    if (st.dev !== journal.homeIdentity.dev || st.ino !== journal.homeIdentity.ino) {
      throw foreign(
        file,
        `it was written for another folder than ${realHome} is now (device/inode ${journal.homeIdentity.dev}/` +
          `${journal.homeIdentity.ino}, now ${st.dev}/${st.ino}): the home is a copy, or was replaced, since`
      )
    }
  }
  const uid = process.getuid?.()
  for (const [what, p, isDir] of [
    ['work folder', journal.workDir, true],
    ['journal file', file, false]
  ] as const) {
    const st = await lstat(p)
    if (isDir ? !st.isDirectory() : !st.isFile())
      throw foreign(file, `its ${what} ${p} is not a plain ${isDir ? 'folder' : 'file'}`)
    if (uid !== undefined && st.uid !== uid) {
      throw foreign(file, `its ${what} ${p} belongs to user ${st.uid}, not to the user running the restore (${uid})`)
    }
    if ((st.mode & 0o022) !== 0) {
      throw foreign(file, `its ${what} ${p} can be written by other users (mode ${(st.mode & 0o777).toString(8)})`)
    }
  }
  if (!isInside(journal.previousDir, journal.workDir)) {
    await checkNoLinks(file, journal.previousDir)
    await checkOwnerMark(file, journal)
  }
}

/**
 * A previous folder outside the home gets this file when the restore creates it, naming the restore and its home: a
 * journal can only send a rollback to a folder outside the home that a restore of this home made for it.
 */
export const OWNER_MARK = 'xlr-restore-owner.json'

function ownerMark(journal: Journal): string {
  return JSON.stringify({ id: journal.id, home: journal.home, homeIdentity: journal.homeIdentity ?? null })
}

export async function writeOwnerMark(journal: Journal): Promise<void> {
  await writeFile(path.join(journal.previousDir, OWNER_MARK), ownerMark(journal), { mode: 0o600, flag: 'wx' })
}

export async function removeOwnerMark(journal: Journal): Promise<void> {
  await rm(path.join(journal.previousDir, OWNER_MARK), { force: true })
}

async function checkOwnerMark(file: string, journal: Journal): Promise<void> {
  if (!(await lstatOrNull(journal.previousDir))) return // nothing there to move back or delete
  const mark = path.join(journal.previousDir, OWNER_MARK)
  const st = await lstatOrNull(mark)
  const text = st?.isFile() && st.size < 64 * 1024 ? await readFile(mark, 'utf8') : null
  if (text !== ownerMark(journal)) {
    throw foreign(
      file,
      `its previous folder ${journal.previousDir} outside the home ${st ? 'has another' : 'lacks the'} ${OWNER_MARK} ` +
        `that the restore writes there, so it is not the folder this restore made`
    )
  }
}

/** The previous folder outside the home must be reached through real folders only, as the restore wrote it. */
async function checkNoLinks(file: string, previousDir: string): Promise<void> {
  const anchor = await nearestExisting(previousDir)
  const real = await realpath(anchor)
  if (real !== anchor) {
    throw foreign(file, `its previous folder ${previousDir} goes through a symlink (${anchor} is really ${real})`)
  }
  const st = await lstatOrNull(previousDir)
  if (st && !st.isDirectory()) throw foreign(file, `its previous folder ${previousDir} is not a folder`)
}
