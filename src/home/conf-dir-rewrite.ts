import * as path from 'node:path'
import { XlrBackupError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { readConfigText } from './config-text.js'
import { replaceConfigFile as replaceFile } from './replace-config-file.js'
import { pointConfigAtDatabase, type DrillDatabase } from './database-config-rewrite.js'
import { DATABASE_KEYS, registerSecrets } from './databases.js'
import { getString, parseHocon } from './hocon.js'
import { escapeXmlAttribute, parseJackrabbitXml } from './jackrabbit-xml.js'
import type { DatabaseRole, HomeInfo } from './types.js'

export type DrillDatabases = Partial<Record<DatabaseRole, DrillDatabase>>

/**
 * Points the config files of `confDir` (a restored, staged conf/) at the drill databases, so the drill server never
 * talks to the production ones: xl-release.conf gets an override block per role (created if absent), and in the
 * JCR era every database param of jackrabbit-repository.xml is redirected to the drill repository database.
 * The result is read back and checked before it replaces a file (written beside it, then renamed, mode kept).
 * Returns the names of the files changed.
 */
export async function pointConfDirAtDatabases(
  confDir: string,
  drill: DrillDatabases,
  era: HomeInfo['era'],
  logger: Logger
): Promise<string[]> {
  const roles = (['repository', 'archive'] as const).filter(role => drill[role] !== undefined)
  if (roles.length === 0) return []
  for (const role of roles) registerSecrets(logger, drill[role]!.url, drill[role]!.password ?? null)
  const changed: string[] = []

  const confFile = path.join(confDir, 'xl-release.conf')
  let text = readConfigText(confFile) ?? ''
  for (const role of roles) text = pointConfigAtDatabase(text, role, drill[role]!, era)
  const check = parseHocon(text, confFile, { unresolved: 'keep', classpathDirs: [confDir] })
  for (const role of roles) {
    const keys =
      role === 'repository' && era === 'jcr'
        ? [DATABASE_KEYS.jcr.repository, DATABASE_KEYS.jcr.url]
        : [role === 'repository' ? DATABASE_KEYS.sql.repository : DATABASE_KEYS.sql.archive, DATABASE_KEYS.sql.url]
    if (getString(check, keys.join('.')) !== drill[role]!.url) {
      throw new XlrBackupError(
        `Pointing ${confFile} at the drill ${role} database did not take effect (${keys.join('.')} still differs); ` +
          'the file was left unchanged. Check it for settings that override the end of the file.'
      )
    }
  }
  await replaceFile(confFile, text)
  changed.push('xl-release.conf')

  const xmlFile = path.join(confDir, 'jackrabbit-repository.xml')
  const xml = readConfigText(xmlFile)
  if (xml !== undefined && drill.repository && era !== 'sql') {
    const rewritten = pointJackrabbitXmlAtDatabase(xml, drill.repository, xmlFile)
    if (rewritten.redirected.length) {
      await replaceFile(xmlFile, rewritten.text)
      changed.push('jackrabbit-repository.xml')
      logger.info(`jackrabbit-repository.xml: ${rewritten.redirected.join(', ')} now use the drill repository database`)
    }
  }
  return changed
}

/**
 * Sets url (and user, password, driver when given) of every component of a Jackrabbit repository.xml that has a
 * `url` param to the drill database: any database the file names is a production one. Params that are missing
 * are added at the start of the element. The rest of the file is kept byte for byte.
 */
export function pointJackrabbitXmlAtDatabase(
  xml: string,
  db: DrillDatabase,
  file: string
): { text: string; redirected: string[] } {
  const edits: { start: number; end: number; text: string }[] = []
  const redirected: string[] = []
  for (const component of parseJackrabbitXml(xml, file)) {
    if (component.params.url === undefined) continue
    const wanted: Record<string, string | undefined> = {
      url: db.url,
      user: db.username,
      password: db.password,
      driver: db.driver
    }
    const added: string[] = []
    for (const [name, value] of Object.entries(wanted)) {
      if (value === undefined) continue
      const span = component.valueSpans[name]
      if (span) edits.push({ start: span[0], end: span[1], text: escapeXmlAttribute(value) })
      else added.push(`<param name="${name}" value="${escapeXmlAttribute(value)}"/>`)
    }
    if (added.length) {
      if (component.bodyStart === null) {
        throw new XlrBackupError(`${file}:${component.line}: <${component.element}/> has no body to add params to`)
      }
      edits.push({ start: component.bodyStart, end: component.bodyStart, text: added.join('') })
    }
    redirected.push(component.location)
  }
  let text = xml
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    text = text.slice(0, edit.start) + edit.text + text.slice(edit.end)
  }
  return { text, redirected }
}
