import { existsSync, statSync, type Dirent } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { NotAHomeError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { readConfigText } from './config-text.js'
import {
  configEraMarkers,
  databaseFromJackrabbit,
  databasesFromHocon,
  registerSecrets,
  unresolvedDatabaseUrls
} from './databases.js'
import { getString, parseHocon, type HoconConfig } from './hocon.js'
import { clusterConfig } from './cluster-config.js'
import { parseJackrabbitXml } from './jackrabbit-xml.js'
import { parseProperties } from './properties.js'
import { DEFAULT_SERVER_CONFIG, SECRET_PROPERTY, serverConfigFromProperties } from './server-config.js'
import type { ConfiguredDatabases, HomeInfo, ServerConfig } from './types.js'
import { compareVersions, detectVersion } from './version.js'

export const SERVER_CONF = 'conf/xl-release-server.conf'
export const RELEASE_CONF = 'conf/xl-release.conf'
export const JACKRABBIT_XML = 'conf/jackrabbit-repository.xml'
/** The first version whose repository is SQL rather than Jackrabbit (JCR era ≤ 7.2). */
export const FIRST_SQL_VERSION = '7.5'

const EXPECTED =
  'expected XL_RELEASE_SERVER_HOME, the folder holding conf/, lib/, plugins/ … (the unpacked xl-release-X.Y.Z-server folder)'

/**
 * Reads what a backup or restore needs to know about an XL Release server home: server settings, configured
 * databases, version and era, top-level folders. Missing optional files give defaults; a path that is not a home
 * is a NotAHomeError; a malformed config file is a ConfigParseError naming the file and line. Reads only.
 */
export async function readHome(homePath: string, logger: Logger): Promise<HomeInfo> {
  const home = await resolveHome(homePath)
  const entries = await readDirOrFail(home, homePath)
  const folders = await topLevelFolders(home, entries)
  if (!folders.includes('conf')) {
    throw new NotAHomeError(
      homePath,
      `${home} has no conf/ folder, so it is not an XL Release server home; ${EXPECTED}`
    )
  }
  await readDirOrFail(path.join(home, 'conf'), homePath)

  const configFilesRead: string[] = []
  const relative = (file: string): string => {
    const rel = path.relative(home, file)
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/')
  }

  const server = readServerConfig(home, logger, configFilesRead)
  const hocon = readReleaseConf(home, logger)
  if (hocon) for (const file of hocon.files) configFilesRead.push(relative(file))

  let databases: ConfiguredDatabases = hocon ? databasesFromHocon(hocon, RELEASE_CONF, logger) : {}
  const jackrabbitText = readConfigText(path.join(home, JACKRABBIT_XML))
  let jackrabbitRepository: ConfiguredDatabases['repository']
  if (jackrabbitText !== undefined) {
    configFilesRead.push(JACKRABBIT_XML)
    const found = databaseFromJackrabbit(
      parseJackrabbitXml(jackrabbitText, path.join(home, JACKRABBIT_XML)),
      JACKRABBIT_XML,
      logger
    )
    jackrabbitRepository = found.repository
    for (const other of found.others) {
      logger.warning(
        `${JACKRABBIT_XML}: ${other.location} (line ${other.line}) uses its own database, which needs a backup too ` +
          `(driver ${other.params.driver ?? 'unknown'})`
      )
    }
  }

  const libEntries = await readdir(path.join(home, 'lib')).catch(() => [] as string[])
  const detected = detectVersion(libEntries, home)
  if (detected?.others.length) {
    logger.warning(
      `lib/ holds server jars of more than one version (${[detected.version, ...detected.others].join(', ')}); ` +
        `using the newest, ${detected.version}. An unfinished upgrade? Check lib/ before relying on this backup.`
    )
  }
  const version = detected?.version ?? null

  const markers = hocon ? configEraMarkers(hocon) : { sql: false, jcr: false }
  const jcrFiles = jackrabbitText !== undefined || existsSync(path.join(home, 'repository', 'workspaces'))
  const era = decideEra(version, markers.sql, markers.jcr || jcrFiles)
  if (era === 'jcr' && !databases.repository && jackrabbitRepository) {
    databases = { ...databases, repository: jackrabbitRepository }
  }
  if (version && era === 'sql' && (markers.jcr || jcrFiles)) {
    logger.info(
      `Version ${version} uses a SQL repository; the Jackrabbit (JCR) settings or files in the home are left over from an older version.`
    )
  }

  const info: HomeInfo = { path: home, server, databases, version, era, folders, configFilesRead }
  if (detected) info.versionSource = detected.source
  const unresolved = hocon ? unresolvedDatabaseUrls(hocon) : {}
  if (Object.keys(unresolved).length > 0) info.unresolvedDatabaseUrls = unresolved
  const jcrConfiguration = hocon ? getString(hocon, 'xl.repository.configuration') : undefined
  if (jcrConfiguration !== undefined) info.jcrRepositoryConfiguration = jcrConfiguration
  const cluster = hocon ? clusterConfig(hocon) : undefined
  if (cluster) info.cluster = cluster
  logger.debug(
    `Home ${home}: version ${version ?? 'unknown'} (${detected?.source ?? 'no server jar in lib/'}), era ${era}, ` +
      `port ${server.httpPort}, databases: ${describeDatabases(databases)}`
  )
  return info
}

/** The era by version when known; otherwise by what the config and files show. */
export function decideEra(version: string | null, sqlMarkers: boolean, jcrMarkers: boolean): HomeInfo['era'] {
  if (version) return compareVersions(version, FIRST_SQL_VERSION) < 0 ? 'jcr' : 'sql'
  if (sqlMarkers) return 'sql'
  if (jcrMarkers) return 'jcr'
  return 'unknown'
}

async function resolveHome(homePath: string): Promise<string> {
  const absolute = path.resolve(homePath)
  let home: string
  try {
    home = await realpath(absolute)
  } catch (error) {
    throw homeFailure(homePath, absolute, error)
  }
  const stats = await stat(home).catch(error => {
    throw homeFailure(homePath, home, error)
  })
  if (!stats.isDirectory()) {
    throw new NotAHomeError(homePath, `${home} is a file, not a folder; ${EXPECTED}`)
  }
  return home
}

async function readDirOrFail(dir: string, homePath: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (error) {
    throw homeFailure(homePath, dir, error)
  }
}

function homeFailure(homePath: string, at: string, error: unknown): NotAHomeError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new NotAHomeError(homePath, `${at} does not exist; ${EXPECTED}`)
  if (code === 'ENOTDIR')
    return new NotAHomeError(homePath, `${at} is not a folder (a file is in its path); ${EXPECTED}`)
  if (code === 'EACCES' || code === 'EPERM') {
    return new NotAHomeError(
      homePath,
      `${at} cannot be read (permission denied); run as the user that owns the XL Release home`
    )
  }
  const reason = error instanceof Error ? error.message : String(error)
  return new NotAHomeError(homePath, `${at} cannot be read (${reason}); ${EXPECTED}`)
}

/** Folders, and links to folders, directly in the home: sorted by name. */
async function topLevelFolders(home: string, entries: Dirent[]): Promise<string[]> {
  const folders: string[] = []
  for (const entry of entries) {
    if (entry.isDirectory()) folders.push(entry.name)
    else if (entry.isSymbolicLink() && isDirectory(path.join(home, entry.name))) folders.push(entry.name)
  }
  return folders.sort()
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function readServerConfig(home: string, logger: Logger, filesRead: string[]): ServerConfig {
  const file = path.join(home, SERVER_CONF)
  const text = readConfigText(file)
  if (text === undefined) {
    logger.info(`${SERVER_CONF} not found: using the defaults (port ${DEFAULT_SERVER_CONFIG.httpPort}).`)
    return { ...DEFAULT_SERVER_CONFIG }
  }
  filesRead.push(SERVER_CONF)
  const entries = parseProperties(text, file)
  for (const entry of entries.values()) if (SECRET_PROPERTY.test(entry.key)) registerSecrets(logger, '', entry.value)
  return serverConfigFromProperties(entries, file)
}

function readReleaseConf(home: string, logger: Logger): HoconConfig | undefined {
  const file = path.join(home, RELEASE_CONF)
  const text = readConfigText(file)
  if (text === undefined) {
    logger.debug(`${RELEASE_CONF} not found: the server uses its embedded databases.`)
    return undefined
  }
  return parseHocon(text, file, {
    // The server's classpath starts with conf/, so classpath includes are found there.
    classpathDirs: [path.join(home, 'conf')],
    // The server may get `${X}` from its service environment, which this job may not share: warn, do not refuse.
    unresolved: 'keep',
    warn: message => logger.warning(message)
  })
}

function describeDatabases(databases: ConfiguredDatabases): string {
  const parts = Object.values(databases).map(db => `${db.role} from ${db.source}`)
  return parts.length ? parts.join('; ') : 'embedded (none configured)'
}
