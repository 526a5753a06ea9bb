import { chmod, chown, rename, rm, stat, writeFile } from 'node:fs/promises'

/**
 * Writes the file beside itself and renames it in; it may now hold a password in clear, so only its owner reads it.
 * The owner stays the file's (a restore running as root has already given the staged file its recorded owner).
 */
export async function replaceConfigFile(file: string, text: string): Promise<void> {
  const before = await stat(file).catch(() => null)
  const mode = before ? before.mode & 0o700 : 0o600
  const temp = `${file}.xlr-backup-${process.pid}.tmp`
  try {
    await writeFile(temp, text, { mode })
    await chmod(temp, mode)
    if (before && process.getuid?.() === 0) await chown(temp, before.uid, before.gid)
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}
