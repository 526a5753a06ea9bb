/**
 * A backup with 'downtime: minimal' copies the home into `<home>/.xlr-snapshot-<owner>/` while the server is down:
 * backup leaves such folders out and restore does not take them for part of the home. Part of the format because
 * both sides must agree on it.
 */
export const SNAPSHOT_DIR_PREFIX = '.xlr-snapshot-'
