import { readdir, stat } from 'node:fs/promises'
import { isHomeLockName } from '../../format/home-lock-name.js'
import { readHome } from '../../home/index.js'
import type { HomeInfo } from '../../home/types.js'
import { NotAHomeError, RestoreError } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { Input } from '../../settings/inputs.js'
import { compareVersions } from '../../home/index.js'
import type { Manifest } from '../../format/manifest.js'

/**
 * The home a restore goes into: null when it is absent or an empty folder (a new home, as on a drill host), its
 * HomeInfo when it is an XL Release home, and a refusal for anything else — restoring into a folder of other
 * things would mix them with a server home.
 */
export async function readTargetHome(home: string, logger: Logger): Promise<HomeInfo | null> {
  const st = await stat(home).catch(() => null)
  if (!st) {
    logger.info(`${home} does not exist: restoring into a new home.`)
    return null
  }
  // This run's own lock file does not make a folder a home.
  if (st.isDirectory() && (await readdir(home)).filter(n => !isHomeLockName(n)).length === 0) {
    logger.info(`${home} is empty: restoring into a new home.`)
    return null
  }
  try {
    return await readHome(home, logger)
  } catch (error) {
    if (error instanceof NotAHomeError) {
      throw new NotAHomeError(
        home,
        `Refusing to restore into ${home}: it is not empty and not an XL Release home (${error.message}). ` +
          `Set '${Input.Home}' to the server home, or to an empty or absent folder to make a new one.`
      )
    }
    throw error
  }
}

/**
 * Restoring data (not the whole home) into a home of another version is refused: upgraders only run forward and
 * there is no downgrade. Restoring the whole home is how an upgrade is rolled back, so it is allowed.
 */
export function checkVersions(
  manifest: Omit<Manifest, 'files'>,
  current: HomeInfo | null,
  wholeHome: boolean,
  allowMismatch: boolean,
  logger: Logger
): void {
  const backup = manifest.home.xlReleaseVersion
  const target = current?.version ?? null
  if (!current) return
  if (wholeHome) {
    if (backup !== target) {
      logger.info(
        `Restoring the complete home: the product goes back to ${backup ?? 'the backed-up version'} (now ${target ?? 'unknown'}).`
      )
    }
    return
  }
  if (backup === null || target === null) {
    logger.warning(
      `Cannot compare versions (backup: ${backup ?? 'unknown'}, home: ${target ?? 'unknown'}); make sure the data fits the installed XL Release.`
    )
    return
  }
  if (compareVersions(backup, target) === 0) return
  const message =
    `The backup holds data of XL Release ${backup}, but the home ${current.path} runs ${target}. Data restored into another ` +
    `version can leave the server unable to start (upgraders only run forward; there is no downgrade). ` +
    `Restore 'components: all' to put the whole home back, or set '${Input.AllowVersionMismatch}: true' if you know the data fits.`
  if (!allowMismatch) throw new RestoreError(message)
  logger.warning(`${message} Going on: '${Input.AllowVersionMismatch}' is true.`)
}
