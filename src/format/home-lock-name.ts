/**
 * The lock a backup or restore holds on a home is the file `<home>/.xlr-backup.lock` (written through temporary
 * files `.xlr-backup.lock.<owner>.tmp` beside it). Part of the format because both sides must agree on it: backup
 * leaves these files out, restore never takes them for a component, so the lock is never captured nor restored over.
 */
export const HOME_LOCK_NAME = '.xlr-backup.lock'

/** Whether a top-level name of a home is the lock or one of its temporary files. */
export function isHomeLockName(name: string): boolean {
  return name === HOME_LOCK_NAME || name.startsWith(`${HOME_LOCK_NAME}.`)
}
