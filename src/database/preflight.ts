import { InputError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { findMysqlTool, mysqlCompatibility, mysqlServerVersion } from './mysql.js'
import { findPgTool, pgServerVersion } from './postgres.js'
import { describe } from './resolve.js'
import { BUILT_IN_ENGINES, type DatabaseSettings, type DatabaseTarget, type PreflightReport } from './types.js'
import { Input } from '../shared/io-names.js'

/**
 * Checks, before anything is written, that every database can be dumped (or restored into): the vendor tool exists
 * and is new enough for the server, and the credentials connect. Throws the first problem as a DatabaseError (or an
 * InputError for a missing custom command) that names the role, the host and the fix.
 */
export async function preflight(
  targets: DatabaseTarget[],
  settings: DatabaseSettings,
  logger: Logger,
  purpose: 'backup' | 'restore' = 'backup'
): Promise<PreflightReport[]> {
  const reports: PreflightReport[] = []
  for (const target of targets) {
    if (target.embedded) {
      logger.info(`Database ${describe(target)}: embedded in the home, covered by the home archive (no dump).`)
      reports.push({ target, kind: 'embedded', tool: null, serverVersion: null })
    } else if (!BUILT_IN_ENGINES.includes(target.engine)) {
      reports.push(checkCustomCommand(target, settings, purpose))
      logger.info(`Database ${describe(target)}: ${purpose} through the '${commandInput(purpose)}'.`)
    } else {
      const report =
        target.engine === 'postgresql' ? await pgCheck(target, purpose) : await mysqlCheck(target, purpose, logger)
      logger.info(
        `Database ${describe(target)}: server ${report.serverVersion ?? '?'}, ${report.tool?.name} ${report.tool?.version} (${report.tool?.path}).`
      )
      reports.push(report)
    }
  }
  return reports
}

function commandInput(purpose: 'backup' | 'restore'): Input.DatabaseBackupCommand | Input.DatabaseRestoreCommand {
  return purpose === 'backup' ? Input.DatabaseBackupCommand : Input.DatabaseRestoreCommand
}

function checkCustomCommand(
  target: DatabaseTarget,
  settings: DatabaseSettings,
  purpose: 'backup' | 'restore'
): PreflightReport {
  const command = purpose === 'backup' ? settings.backupCommand : settings.restoreCommand
  if (!command?.trim()) {
    const input = commandInput(purpose)
    throw new InputError(
      input,
      `The ${describe(target)} database is ${target.engine}, which this action has no built-in ${purpose} tool for: ` +
        `set the '${input}' input to a shell command that ${purpose === 'backup' ? 'dumps it into $XLR_DUMP_DIR' : 'restores it from $XLR_DUMP_DIR'} ` +
        `(docs/databases.md has examples for Oracle Data Pump, SQL Server and DB2), or set '${Input.Database}: none' to skip databases.`
    )
  }
  return {
    target,
    kind: 'custom-command',
    tool: { name: commandInput(purpose), path: '/bin/sh', version: '' },
    serverVersion: null
  }
}

async function pgCheck(target: DatabaseTarget, purpose: 'backup' | 'restore'): Promise<PreflightReport> {
  // A restore target may not exist yet: connect to the maintenance database instead.
  const server = await pgServerVersion(target, purpose === 'backup' ? target.database : 'postgres')
  const tool = await findPgTool(
    purpose === 'backup' ? 'pg_dump' : 'pg_restore',
    target,
    purpose === 'backup' ? server.versionNum : 0
  )
  return {
    target,
    kind: 'built-in',
    tool: { name: tool.name, path: tool.path, version: tool.version },
    serverVersion: server.version
  }
}

async function mysqlCheck(
  target: DatabaseTarget,
  purpose: 'backup' | 'restore',
  logger: Logger
): Promise<PreflightReport> {
  const serverVersion = await mysqlServerVersion(target, purpose === 'backup' ? target.database : null)
  const tool = await findMysqlTool(target, purpose === 'backup' ? 'dump' : 'client')
  if (purpose === 'backup') mysqlCompatibility(tool, serverVersion, target, logger)
  return { target, kind: 'built-in', tool: { name: tool.name, path: tool.path, version: tool.version }, serverVersion }
}
