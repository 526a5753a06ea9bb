export * from './types.js'
export { readHome, decideEra, SERVER_CONF, RELEASE_CONF, JACKRABBIT_XML, FIRST_SQL_VERSION } from './read-home.js'
export { compareVersions, detectVersion, type DetectedVersion } from './version.js'
export { parseProperties, type PropertyEntry } from './properties.js'
export { serverConfigFromProperties, DEFAULT_SERVER_CONFIG } from './server-config.js'
export {
  parseHocon,
  parseHoconFile,
  getValue,
  getString,
  getObject,
  hasPath,
  type HoconConfig,
  type HoconObject,
  type HoconValue,
  type HoconOptions,
  type ConfigOrigin
} from './hocon.js'
export { parseJackrabbitXml, decodeEntities, escapeXmlAttribute, type JackrabbitComponent } from './jackrabbit-xml.js'
export { databasesFromHocon, databaseFromJackrabbit, DATABASE_KEYS } from './databases.js'
export { pointConfigAtDatabase, quoteHoconString, type DrillDatabase } from './database-config-rewrite.js'
export { pointConfDirAtDatabases, pointJackrabbitXmlAtDatabase, type DrillDatabases } from './conf-dir-rewrite.js'
