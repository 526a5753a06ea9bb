import type { FileRecord, Manifest } from '../../format/manifest.js'
import { HOME_PREFIX } from '../../format/manifest.js'
import { KEYSTORE_FILE, keystoreFingerprint, showFingerprint } from '../../home/keystore.js'
import { InputError } from '../../shared/errors.js'
import { Input } from '../../shared/io-names.js'
import type { Logger } from '../../shared/logger.js'

export interface KeystoreCheck {
  manifest: Pick<Manifest, 'databases'> & {
    files: Iterable<Pick<FileRecord, 'path' | 'type'> & { sha256?: string | null }>
  }
  /** The target home, or null when it does not exist yet (a drill host). */
  targetHome: string | null
  confRestored: boolean
  databasesRestored: boolean
  allowMismatch: boolean
  logger: Logger
}

/**
 * Refuses, before anything changes, a restore whose result pairs a database with another keystore than the one it
 * was dumped next to: the databases restored while the home keeps (or lacks) another keystore, or the backup's conf/
 * restored over databases that stay as they are. The dump's keystore is the fingerprint the backup recorded with it
 * (older backups: the one in the backup's own conf/). Returns the summary's line about the keystore.
 */
export async function checkKeystoreCoherence(args: KeystoreCheck): Promise<string> {
  const { manifest } = args
  const dumped = manifest.databases.filter(d => d.dump && !d.embedded)
  const entry = findFile(manifest.files, `${HOME_PREFIX}${KEYSTORE_FILE}`)
  const inBackup = entry?.type === 'file' ? (entry.sha256 ?? null) : null
  const current = args.targetHome === null ? null : await keystoreFingerprint(args.targetHome)
  const after = args.confRestored ? inBackup : current
  const afterText = `${showFingerprint(after)} (${args.confRestored ? "the backup's conf/" : "the home's conf/, kept"})`
  if (dumped.length === 0) return afterText

  const problems: string[] = []
  if (args.databasesRestored) {
    for (const d of dumped) {
      const recorded = d.keystoreSha256 !== undefined ? d.keystoreSha256 : entry ? inBackup : undefined
      if (recorded === undefined || recorded === after) continue
      problems.push(
        `the ${d.roles.join(' + ')} database is restored from a dump made next to ${showFingerprint(recorded)}, ` +
          `but after the restore ${KEYSTORE_FILE} is ${afterText}`
      )
    }
  } else if (args.confRestored && args.targetHome !== null && inBackup !== current) {
    problems.push(
      `the backup's conf/ brings ${showFingerprint(inBackup)}, but the databases are not restored and were used ` +
        `with the home's ${showFingerprint(current)}`
    )
  }
  if (problems.length === 0) return afterText
  const message =
    `KEYSTORE MISMATCH: ${problems.join('; ')}. Every password and credential the server keeps in its database ` +
    `(shared configurations, connections, users' tokens) is encrypted with the key in ${KEYSTORE_FILE}: next to ` +
    'another keystore the server starts, but none of them can be read.'
  if (args.allowMismatch) {
    args.logger.warning(`${message} Going on: '${Input.AllowKeystoreMismatch}' is true.`)
    return `${afterText}; MISMATCH allowed`
  }
  throw new InputError(
    Input.AllowKeystoreMismatch,
    `${message} Nothing was changed. Restore 'conf' and the databases together from the same backup, or put the ` +
      `matching ${KEYSTORE_FILE} in the home first; set '${Input.AllowKeystoreMismatch}: true' only if you will ` +
      're-enter every stored secret.'
  )
}

function findFile<T extends { path: string }>(files: Iterable<T>, name: string): T | undefined {
  for (const f of files) if (f.path === name) return f
  return undefined
}
