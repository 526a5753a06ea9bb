import { chmod, readdir, stat } from 'node:fs/promises'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../shared/private-files.js'
import * as path from 'node:path'
import { DatabaseError } from '../shared/errors.js'
import { describe } from './resolve.js'
import { runTool, stderrTail, exitWords } from './run-tool.js'
import type { DatabaseTarget } from './types.js'
import { Input } from '../shared/io-names.js'

/** The single-file name offered to custom commands in XLR_DUMP_FILE (they may write any files into XLR_DUMP_DIR). */
export const CUSTOM_DUMP_FILE = 'dump'

/**
 * The environment a `database-backup-command` / `database-restore-command` receives (documented in
 * docs/databases.md). The password is here only: never interpolated into the command line.
 */
export function customCommandEnv(
  target: DatabaseTarget,
  dumpDir: string,
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
    XLR_DB_ROLE: target.roles.join(','),
    XLR_DB_ENGINE: target.engine,
    XLR_DB_HOST: target.host ?? '',
    XLR_DB_PORT: target.port === null ? '' : String(target.port),
    XLR_DB_NAME: target.database ?? '',
    XLR_DB_USER: target.username ?? '',
    XLR_DB_PASSWORD: target.password ?? '',
    XLR_DB_URL: target.url,
    XLR_DB_PARAMS: JSON.stringify(target.params),
    XLR_DUMP_DIR: dumpDir,
    XLR_DUMP_FILE: path.join(dumpDir, CUSTOM_DUMP_FILE),
    ...extra
  }
}

/** Runs a user's command through the shell with the XLR_* environment; a non-zero exit is a DatabaseError. */
export async function runCustomCommand(
  target: DatabaseTarget,
  input: Input.DatabaseBackupCommand | Input.DatabaseRestoreCommand,
  command: string,
  env: Record<string, string>
): Promise<void> {
  const shell = process.platform === 'win32' ? 'cmd.exe' : '/bin/sh'
  const args = process.platform === 'win32' ? ['/d', '/s', '/c', command] : ['-c', command]
  const run = await runTool(shell, args, { env, vendorEnv: true, cwd: env.XLR_DUMP_DIR })
  if (run.exitCode !== 0) {
    const tail = stderrTail(run.stderr + '\n' + run.stdout, [target.password])
    throw new DatabaseError(
      `The '${input}' ${exitWords(run)} for the ${describe(target)} database.` + (tail ? `\nIt said:\n${tail}` : '')
    )
  }
}

/** Files and total bytes under `dir` (a custom command may write one file or many). */
export async function dirContents(dir: string): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = []
  let bytes = 0
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.isDirectory()) await walk(p)
      else {
        files.push(path.relative(dir, p))
        bytes += (await stat(p)).size
      }
    }
  }
  await walk(dir)
  return { files: files.sort(), bytes }
}

/** Makes everything under `dir` owner-only: tools create files with their own umask (pg_dump: 0644). */
export async function makeTreePrivate(dir: string): Promise<void> {
  await chmod(dir, PRIVATE_DIR_MODE)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) await makeTreePrivate(p)
    else if (entry.isFile()) await chmod(p, PRIVATE_FILE_MODE)
  }
}
