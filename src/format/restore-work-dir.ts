/**
 * A restore stages in `<home>/.xlr-restore-<id>/`: restore finds unfinished restores by this prefix, and backup
 * leaves such folders out. Part of the format because both sides must agree on it.
 */
export const WORK_DIR_PREFIX = '.xlr-restore-'
