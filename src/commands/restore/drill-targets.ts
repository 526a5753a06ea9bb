import type { Manifest } from '../../format/manifest.js'
import { redactJdbcUrl } from '../../database/jdbc-url.js'
import { parseJdbcUrl } from '../../database/jdbc-url.js'
import { DATABASE_INPUTS } from '../../database/resolve.js'
import type { DatabaseSettings } from '../../database/types.js'
import type { DatabaseRole, HomeInfo } from '../../home/types.js'
import { InputError } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'

const ROLES: DatabaseRole[] = ['repository', 'archive']

/** Roles whose URL input names another database than the conf in effect after the restore: a restore drill. */
export function redirectedRoles(settings: DatabaseSettings, configHome: HomeInfo | null): DatabaseRole[] {
  return ROLES.filter(role => {
    const url = settings[role].url?.trim()
    return Boolean(url) && url !== configHome?.databases[role]?.url?.trim()
  })
}

/**
 * A drill (some database sent elsewhere by its input) must send every database it touches elsewhere: each dump it
 * restores, and, when the backup's conf is restored, each external database that conf names (the drill server
 * would otherwise connect to it). A role left to the conf there is production; refused before anything changes,
 * naming the input to set. Roles the drill leaves alone (embedded in the restored home, not in the backup) are logged.
 */
export function checkDrillTargets(args: {
  manifest: Pick<Manifest, 'databases'>
  configHome: HomeInfo | null
  settings: DatabaseSettings
  restoresDatabases: boolean
  confRestored: boolean
  logger: Logger
}): void {
  const { configHome, settings, logger } = args
  if (settings.mode === 'none') return
  const redirected = redirectedRoles(settings, configHome)
  if (redirected.length === 0) return
  const by = redirected[0]
  const given = (role: DatabaseRole): boolean => Boolean(settings[role].url?.trim())
  const dumped = args.restoresDatabases
    ? args.manifest.databases.filter(d => d.dump && !d.embedded).flatMap(d => d.roles)
    : []
  for (const role of ROLES) {
    if (given(role)) continue
    const configured = configHome?.databases[role]
    const unresolved = configHome?.unresolvedDatabaseUrls?.[role]
    const external = configured ? !parseJdbcUrl(configured.url).embedded : Boolean(unresolved)
    const where = configured
      ? `${redactJdbcUrl(configured.url)} (${configured.source})`
      : unresolved
        ? `whatever ${unresolved.text} gives the server (${unresolved.file}:${unresolved.line})`
        : 'the embedded database of the home'
    let harm: string | null = null
    if (dumped.includes(role)) harm = `the ${role} database would be restored into ${where}`
    else if (args.confRestored && external) {
      harm = `the restored conf/ would still point the drill server's ${role} database at ${where}`
    }
    if (!harm) {
      if (args.confRestored && !external) {
        logger.info(`Restore drill: the ${role} database stays the embedded one restored into the drill home.`)
      }
      continue
    }
    throw new InputError(
      DATABASE_INPUTS[role].url,
      `'${DATABASE_INPUTS[by].url}' sends the ${by} database to the drill (${redactJdbcUrl(settings[by].url!)}), but ` +
        `nothing redirects the ${role} database: ${harm} — the backed-up server's database, not the drill's. ` +
        `Nothing was changed. A drill must name every database it uses: set '${DATABASE_INPUTS[role].url}' (with ` +
        `'${DATABASE_INPUTS[role].username}' and '${DATABASE_INPUTS[role].password}' if they differ) to the drill's ` +
        `${role} database${dumped.includes(role) ? ", or leave 'databases' out of 'components'" : ''}.`
    )
  }
}
