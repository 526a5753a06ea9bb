import { enableMaintenanceMode, MAINTENANCE_KEY } from '../../home/maintenance-mode.js'
import type { HomeInfo } from '../../home/types.js'
import type { Settings } from '../../settings/settings.js'
import { InputError } from '../../shared/errors.js'
import { Input } from '../../shared/io-names.js'
import type { Logger } from '../../shared/logger.js'
import { redirectedRoles } from './drill-targets.js'

type ConfRewrite = (stagedConfDir: string) => Promise<void>

export const LEAVE_MAINTENANCE =
  `to leave it, delete the 'xlr-backup: maintenance mode' block (or set ${MAINTENANCE_KEY} = false) in ` +
  'conf/xl-release.conf and restart the server'

/** What the restore does about maintenance mode, for the summary; `rewrite` goes to the engine's conf rewrite. */
export interface MaintenancePlan {
  rewrite?: ConfRewrite
  /** The summary's line; filled in as the restore goes. */
  status: string
}

/**
 * Input 'maintenance-mode': 'auto' turns it on for a drill (a database input pointing elsewhere than the restored
 * conf), 'true' for any restore of conf, 'false' never. Asking for it without restoring conf is refused before
 * anything changes: the running home's conf is not the restore's to edit.
 */
export function planMaintenanceMode(
  settings: Settings,
  configHome: HomeInfo | null,
  confRestored: boolean,
  logger: Logger
): MaintenancePlan {
  const mode = settings.restore.maintenanceMode
  const drill = settings.database.mode !== 'none' && redirectedRoles(settings.database, configHome).length > 0
  if (mode === 'true' && !confRestored) {
    throw new InputError(
      Input.MaintenanceMode,
      `'${Input.MaintenanceMode}: true' sets ${MAINTENANCE_KEY} in the restored conf/xl-release.conf, but 'conf' is ` +
        `not restored. Nothing was changed. Add 'conf' to '${Input.Components}', or set the key in the home's ` +
        `conf/xl-release.conf yourself and leave '${Input.MaintenanceMode}' unset.`
    )
  }
  if (!confRestored) return { status: 'unchanged (conf is not restored)' }
  if (mode === 'false' || (mode === 'auto' && !drill)) {
    if (drill) {
      logger.warning(
        `Restore drill with '${Input.MaintenanceMode}: false': the drill server will run triggers, tasks and ` +
          'notifications of the backed-up releases against real systems when it starts.'
      )
    }
    return { status: 'not set by the restore' }
  }
  const why = mode === 'true' ? `'${Input.MaintenanceMode}: true'` : 'a restore drill'
  const plan: MaintenancePlan = { status: `on (${why}); ${LEAVE_MAINTENANCE}` }
  if (settings.restore.dryRun) plan.status = `would be turned on (${why})`
  plan.rewrite = async stagedConfDir => {
    const changed = await enableMaintenanceMode(stagedConfDir)
    if (!changed) plan.status = `on (the backed-up conf already sets it); ${LEAVE_MAINTENANCE}`
    logger.info(
      changed
        ? `Maintenance mode (${why}): the restored conf/xl-release.conf now sets ${MAINTENANCE_KEY} = true, so the ` +
            `server starts with triggers, tasks, notifications and archiving suspended; ${LEAVE_MAINTENANCE}.`
        : `Maintenance mode (${why}): the restored conf/xl-release.conf already sets ${MAINTENANCE_KEY} = true.`
    )
  }
  return plan
}

/** One conf rewrite for the engine that runs each given one in turn. */
export function chainConfRewrites(...rewrites: (ConfRewrite | undefined)[]): ConfRewrite | undefined {
  const present = rewrites.filter((r): r is ConfRewrite => r !== undefined)
  if (present.length === 0) return undefined
  return async dir => {
    for (const rewrite of present) await rewrite(dir)
  }
}
