import { mkdtemp, open, chmod, type FileHandle } from 'node:fs/promises'
import type { WriteStream } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** Backups hold every secret of the server: whatever we write for them is readable by the owner only. */
export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

let runFolder: string | null = null

/** The running job's private folder (see lifecycle/run-folder.ts): the default parent of every temporary folder. */
export function setRunFolder(dir: string | null): void {
  runFolder = dir
}

export function currentRunFolder(): string | null {
  return runFolder
}

/** A new owner-only temporary folder under `parent` (default: the run folder, else the OS temp folder). */
export async function makePrivateTempDir(prefix: string, parent: string = runFolder ?? os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(parent, prefix))
  await chmod(dir, PRIVATE_DIR_MODE)
  return dir
}

/** Creates (or truncates) `file` with mode 0600 before a byte is written, and returns a handle to it. */
export async function openPrivateFile(file: string): Promise<FileHandle> {
  const handle = await open(file, 'w', PRIVATE_FILE_MODE)
  try {
    // open() honours the umask only at creation; an existing file keeps its mode, so set it explicitly.
    await handle.chmod(PRIVATE_FILE_MODE)
  } catch (error) {
    await handle.close()
    throw error
  }
  return handle
}

/** Creates (or truncates) `file` with mode 0600 before a byte is written, and returns a stream to it. */
export async function createPrivateWriteStream(file: string): Promise<WriteStream> {
  const handle = await openPrivateFile(file)
  // The handle's own stream closes the handle; a raw fd would be closed twice (once more when the handle is collected).
  return handle.createWriteStream()
}

/** Writes `data` to `file` owner-only (for option files that hold a password, a manifest, a journal). */
export async function writePrivateFile(file: string, data: string | Buffer): Promise<void> {
  const handle = await open(file, 'w', PRIVATE_FILE_MODE)
  try {
    await handle.chmod(PRIVATE_FILE_MODE)
    await handle.writeFile(data)
  } finally {
    await handle.close()
  }
}
