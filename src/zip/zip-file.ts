import { open, type FileHandle } from 'node:fs/promises'
import { IntegrityError } from '../shared/errors.js'
import { readCentralDirectory, type CentralDirectoryRecord } from './zip-central-directory.js'
import { type EntryKind, HOST_UNIX, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './zip-format.js'

/** A ZIP file open for reading, with its central directory as stored (nothing in it is trusted yet). */
interface OpenZip {
  fd: FileHandle
  size: number
  records: CentralDirectoryRecord[]
}

/** Opens a ZIP file and reads its central directory; the caller closes `fd` (it is closed here on failure). */
export async function openZip(file: string): Promise<OpenZip> {
  let fd: FileHandle
  try {
    fd = await open(file, 'r')
  } catch (error) {
    throw new IntegrityError(`cannot open the backup ${file}: ${(error as Error).message}`, { cause: error })
  }
  try {
    const stat = await fd.stat()
    if (!stat.isFile()) throw new IntegrityError(`the backup ${file} is not a file — give the path of the .zip`)
    const { size } = stat
    return { fd, size, records: await readCentralDirectory(fd, file, size) }
  } catch (error) {
    await fd.close()
    throw error
  }
}

/**
 * What a record holds, by its Unix file type when a Unix host made it, else by its name (folders end with '/'); for
 * a device, FIFO or socket, its file type bits.
 */
export function entryKind(record: CentralDirectoryRecord): EntryKind | { special: number } {
  const isFolderName = record.name.endsWith('/')
  if (record.madeBy !== HOST_UNIX) return isFolderName ? 'directory' : 'file'
  const format = (record.externalAttributes >>> 16) & S_IFMT
  if (format === S_IFLNK) return 'symlink'
  if (format === S_IFDIR) return 'directory'
  if (format === S_IFREG || format === 0) return isFolderName ? 'directory' : 'file'
  return { special: format }
}
