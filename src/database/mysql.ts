import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { PassThrough, Transform, Writable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import type { DatabaseRecord } from '../format/manifest.js'
import { DatabaseError, IntegrityError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { toolEnv } from '../shared/child-env.js'
import { PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { Progress } from '../shared/progress.js'
import { withMysqlDefaults } from './credentials.js'
import { toolFailure } from './failures.js'
import { ClientCommandError, ClientCommandFilter } from './mysql-dump-filter.js'
import { describe } from './resolve.js'
import { findOnPath, runTool, type ToolRun } from './run-tool.js'
import type { DatabaseTarget, RestoreDbOptions, RestoreHooks } from './types.js'

export const MYSQL_DUMP_FILE = 'dump.sql.gz'

export interface MysqlTool {
  name: string
  path: string
  version: string
  flavour: 'mysql' | 'mariadb'
}

/** 'mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, …', 'mariadb-dump from 11.4.2-MariaDB, …', 'mysqldump  Ver 8.0.36 for …'. */
export function parseMysqlToolVersion(text: string): { version: string; flavour: 'mysql' | 'mariadb' } | null {
  const flavour = /mariadb/i.test(text) ? 'mariadb' : 'mysql'
  const m = /Distrib\s+([\d.]+)/.exec(text) ?? /from\s+([\d.]+)/.exec(text) ?? /Ver\s+([\d.]+)/.exec(text)
  return m ? { version: m[1].replace(/\.$/, ''), flavour } : null
}

function versionParts(v: string): number[] {
  return (/(\d+)\.(\d+)(?:\.(\d+))?/.exec(v)?.slice(1) ?? []).map(x => Number(x ?? 0))
}

function compareVersions(a: string, b: string, depth = 2): number {
  const [pa, pb] = [versionParts(a), versionParts(b)]
  for (let i = 0; i < depth; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

/** Finds the dump tool ('dump') or the client ('client'), the engine's own name first. */
export async function findMysqlTool(target: DatabaseTarget, kind: 'dump' | 'client'): Promise<MysqlTool> {
  const names =
    kind === 'dump'
      ? target.engine === 'mariadb'
        ? ['mariadb-dump', 'mysqldump']
        : ['mysqldump', 'mariadb-dump']
      : target.engine === 'mariadb'
        ? ['mariadb', 'mysql']
        : ['mysql', 'mariadb']
  const found = await findOnPath(names)
  if (!found) {
    const pkg = target.engine === 'mariadb' ? 'mariadb-client' : 'mysql-client (or mariadb-client)'
    throw new DatabaseError(
      `Neither ${names.join(' nor ')} is installed on this runner, and the ${describe(target)} database needs it: ` +
        `install ${pkg} (e.g. 'sudo apt-get install -y ${target.engine === 'mariadb' ? 'mariadb-client' : 'mysql-client'}').`
    )
  }
  const run = await runTool(found, ['--version'])
  const parsed = parseMysqlToolVersion(run.stdout + run.stderr)
  if (run.exitCode !== 0 || !parsed)
    throw new DatabaseError(`${found} --version did not answer with a version: is it a working MySQL client?`)
  return { name: path.basename(found), path: found, ...parsed }
}

/** Runs SQL through the client (batch, no column names); returns stdout. */
export async function mysqlQuery(target: DatabaseTarget, sql: string, database: string | null = target.database) {
  const client = await findMysqlTool(target, 'client')
  return await withMysqlDefaults(target, async defaults => {
    const args = [
      `--defaults-extra-file=${defaults}`,
      '--batch',
      '--skip-column-names',
      '--default-character-set=utf8mb4'
    ]
    if (database) args.push(`--database=${database}`)
    const run = await runTool(client.path, args, { input: sql })
    if (run.exitCode !== 0) throw toolFailure(target, client.name, 'querying', run)
    return run.stdout
  })
}

export async function mysqlServerVersion(target: DatabaseTarget, database: string | null = target.database) {
  return (await mysqlQuery(target, 'SELECT VERSION();', database)).trim()
}

/**
 * Says whether `tool` can dump a server of `serverVersion`, and which flags the pairing needs. MySQL's mysqldump must
 * be at least the server's major.minor; MariaDB's tools read MySQL and MariaDB servers, with a warning across flavours.
 */
export function mysqlCompatibility(
  tool: MysqlTool,
  serverVersion: string,
  target: DatabaseTarget,
  logger: Logger
): string[] {
  const serverFlavour = /mariadb/i.test(serverVersion) ? 'mariadb' : 'mysql'
  const flags: string[] = []
  if (tool.flavour === 'mysql') {
    if (serverFlavour === 'mysql' && compareVersions(tool.version, serverVersion) < 0) {
      const [a, b] = versionParts(serverVersion)
      throw new DatabaseError(
        `${tool.name} ${tool.version} is older than the MySQL ${serverVersion} server of the ${describe(target)} ` +
          `database and may not dump it faithfully: install the MySQL ${a}.${b} client (mysql-client) on the runner.`
      )
    }
    // MySQL 8's mysqldump asks MariaDB for column statistics it does not have; GTIDs are MySQL's own.
    if (serverFlavour === 'mariadb' && versionParts(tool.version)[0] >= 8) flags.push('--column-statistics=0')
    if (serverFlavour === 'mysql' && versionParts(tool.version)[0] >= 5) flags.push('--set-gtid-purged=OFF')
  } else if (serverFlavour === 'mysql') {
    logger.warning(
      `Dumping the MySQL ${serverVersion} server with MariaDB's ${tool.name}: it works for XL Release's tables, but ` +
        `MySQL's own mysqldump is the safer pairing.`
    )
  } else if (compareVersions(tool.version, serverVersion) < 0) {
    logger.warning(
      `${tool.name} ${tool.version} is older than the MariaDB ${serverVersion} server; consider upgrading it.`
    )
  }
  return flags
}

/** Base tables, views and sequences of the target database. */
export async function mysqlTables(target: DatabaseTarget): Promise<{ name: string; type: string }[]> {
  const out = await mysqlQuery(
    target,
    'SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name;'
  )
  return out
    .split('\n')
    .filter(l => l.trim())
    .map(l => {
      const [name, type] = l.split('\t')
      return { name, type }
    })
}

/** Keeps the last bytes that went through, so a dump can be checked for mysqldump's closing line. */
class TailKeeper extends Transform {
  tail = Buffer.alloc(0)
  bytes = 0
  constructor(
    private readonly progress: Progress,
    private onFirstTable?: () => void
  ) {
    super()
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.onFirstTable && Buffer.concat([this.tail, chunk]).includes(FIRST_TABLE_MARK)) {
      this.onFirstTable()
      this.onFirstTable = undefined
    }
    this.bytes += chunk.length
    this.progress.add(chunk.length)
    this.tail = Buffer.concat([this.tail, chunk]).subarray(-256)
    cb(null, chunk)
  }
}

/**
 * mysqldump writes a table's structure only after START TRANSACTION WITH CONSISTENT SNAPSHOT has returned on its
 * connection: this line in its output proves the snapshot open, with no privilege (innodb_trx needs PROCESS).
 */
const FIRST_TABLE_MARK = Buffer.from('\n-- Table structure for table ')

/** Hashes and counts what goes to the file. */
class HashCounter extends Transform {
  readonly hash = createHash('sha256')
  bytes = 0
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    cb(null, chunk)
  }
}

interface Spawned {
  done: Promise<ToolRun & { signal: string | null }>
  kill(): void
  stdout: NodeJS.ReadableStream
  stdin: NodeJS.WritableStream
}

/**
 * child_process rather than @actions/exec here: the dump is streamed from stdout (and a restore into stdin) with
 * back-pressure, which @actions/exec cannot do (it echoes the command line into its output stream, ignores
 * back-pressure, and only takes stdin as one Buffer).
 */
function spawnStreaming(tool: string, args: string[]): Spawned {
  const child = spawn(tool, args, { env: toolEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-16384)
  })
  const done = new Promise<ToolRun & { signal: string | null }>(resolve => {
    child.on('error', e => resolve({ exitCode: -1, signal: null, stdout: '', stderr: `${stderr}\n${e.message}` }))
    child.on('close', (code, signal) => resolve({ exitCode: code, signal, stdout: '', stderr }))
  })
  return { done, kill: () => child.kill('SIGKILL'), stdout: child.stdout, stdin: child.stdin }
}

/** mysqldump → gzip → outDir/dump.sql.gz (0600), hashed on the way; a failure or a truncated dump leaves nothing. */
export async function mysqlDump(target: DatabaseTarget, outDir: string, logger: Logger, onSnapshotOpen?: () => void) {
  const serverVersion = await mysqlServerVersion(target)
  const tool = await findMysqlTool(target, 'dump')
  const flags = mysqlCompatibility(tool, serverVersion, target, logger)
  const tables = (await mysqlTables(target)).map(t => t.name)
  const partial = path.join(outDir, `${MYSQL_DUMP_FILE}.partial`)
  const final = path.join(outDir, MYSQL_DUMP_FILE)
  try {
    return await withMysqlDefaults(target, async defaults => {
      const args = [
        `--defaults-extra-file=${defaults}`,
        '--single-transaction',
        '--routines',
        '--triggers',
        '--events',
        '--hex-blob',
        '--default-character-set=utf8mb4',
        '--quick',
        // Tablespaces need the PROCESS privilege (MySQL 8.0.21+) and XL Release uses none.
        '--no-tablespaces',
        ...flags,
        target.database ?? ''
      ]
      const child = spawnStreaming(tool.path, args)
      child.stdin.end()
      const tail = new TailKeeper(
        new Progress(`${tool.name} ${describe(target)} (uncompressed)`, null, logger, 30_000),
        onSnapshotOpen
      )
      const counter = new HashCounter()
      // The FileHandle's own stream: a raw fd taken from a FileHandle is closed twice (once more on GC, EBADF).
      const handle = await open(partial, 'wx', PRIVATE_FILE_MODE)
      const out = handle.createWriteStream()
      const piped = pipeline(child.stdout, tail, createGzip(), counter, out).then(
        () => null,
        (e: Error) => e
      )
      const [run, pipeError] = await Promise.all([child.done, piped])
      if (run.exitCode !== 0) throw toolFailure(target, tool.name, 'dumping', run)
      if (pipeError)
        throw new DatabaseError(`Writing the dump of the ${describe(target)} database failed: ${pipeError.message}`, {
          cause: pipeError
        })
      // mysqldump ends a complete dump with this comment: its absence means output was cut short.
      if (!tail.tail.toString('utf8').includes('-- Dump completed'))
        throw new DatabaseError(
          `${tool.name} ended without finishing the dump of the ${describe(target)} database (output cut short).`
        )
      await rename(partial, final)
      return {
        tool,
        serverVersion,
        tables,
        bytes: counter.bytes,
        sha256: counter.hash.digest('hex'),
        rawBytes: tail.bytes
      }
    })
  } finally {
    await rm(partial, { force: true })
  }
}

function ident(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`'
}

function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
}

const guardFlagCache = new Map<string, Promise<string[]>>()

/**
 * The client's own defences against commands in its input, as far as this client has them (read from its --help):
 * `--binary-mode` (MySQL 5.6.3+, MariaDB 10.0+: in non-interactive input only `charset` and `delimiter` remain),
 * MariaDB's `--sandbox` (10.5.25/10.6.18/10.11.8+: no command that touches the file system) and MySQL's
 * `--system-command=OFF` (8.0.40+: no `system`/`\!`). The ClientCommandFilter in front of the client holds either way.
 */
export function mysqlClientGuardFlags(client: MysqlTool): Promise<string[]> {
  let flags = guardFlagCache.get(client.path)
  if (!flags) {
    flags = runTool(client.path, ['--no-defaults', '--help']).then(run => {
      const help = run.stdout
      const out: string[] = []
      if (/^\s*--binary-mode\b/m.test(help)) out.push('--binary-mode')
      if (/^\s*--sandbox\b/m.test(help)) out.push('--sandbox')
      if (/^\s*--system-command\b/m.test(help)) out.push('--system-command=OFF')
      return out
    })
    guardFlagCache.set(client.path, flags)
  }
  return flags
}

/** The refusal of a dump that holds a client command: hostile input, named as such, with what to do. */
function clientCommandRefusal(what: string, file: string, error: ClientCommandError): IntegrityError {
  return new IntegrityError(
    `The dump of the ${what} database (${path.basename(file)}) is refused: ${error.message} (a shell ` +
      `command, a file read or write, or a switch of server or database), which mysqldump never writes. A dump is ` +
      `loaded as data, never as a script: this backup was altered or did not come from this tool. Nothing was loaded.`,
    { cause: error }
  )
}

/** Reads the whole dump through the ClientCommandFilter before anything changes: a refusal leaves the target as it was. */
export async function scanMysqlDump(target: DatabaseTarget, file: string): Promise<void> {
  const discard = new Writable({ write: (_chunk, _enc, cb) => cb() })
  try {
    await pipeline(createReadStream(file), createGunzip(), new ClientCommandFilter(), discard)
  } catch (e) {
    if (e instanceof ClientCommandError) throw clientCommandRefusal(describe(target), file, e)
    throw new IntegrityError(`The dump ${file} cannot be read: ${(e as Error).message}`, { cause: e })
  }
}

/**
 * The same scan over a dump that is still inside the backup: `read` hands over its gzip-compressed bytes (and checks
 * them). Verify uses it, so that a backup verify accepts is one restore does not refuse.
 */
export async function scanMysqlDumpChunks(
  what: string,
  file: string,
  read: (sink: (chunk: Buffer) => Promise<void>) => Promise<void>
): Promise<void> {
  const input = new PassThrough()
  const discard = new Writable({ write: (_chunk, _enc, cb) => cb() })
  let failure: Error | null = null
  const scanned = pipeline(input, createGunzip(), new ClientCommandFilter(), discard).catch((e: Error) => {
    failure = e
  })
  const refusal = (e: Error): Error =>
    e instanceof ClientCommandError
      ? clientCommandRefusal(what, file, e)
      : new IntegrityError(`The dump ${file} cannot be read: ${e.message}`, { cause: e })
  try {
    await read(async chunk => {
      if (failure) throw refusal(failure)
      // A refusal destroys the input: 'close' then ends the wait that 'drain' never would.
      if (!input.write(chunk))
        await new Promise<void>(resolve => {
          input.once('drain', resolve)
          input.once('close', resolve)
        })
    })
  } catch (e) {
    // The entry itself is damaged (size, CRC-32, SHA-256): that error, and no scan left running.
    input.destroy()
    throw e
  }
  input.end()
  await scanned
  if (failure) throw refusal(failure)
}

/** Feeds dump.sql.gz through gunzip into the client; creates the database when asked; drops tables a newer schema added. */
export async function mysqlRestore(
  target: DatabaseTarget,
  dumpDir: string,
  record: DatabaseRecord,
  opts: RestoreDbOptions,
  hooks: RestoreHooks
): Promise<void> {
  const file = path.join(dumpDir, record.dump?.file ?? MYSQL_DUMP_FILE)
  const client = await findMysqlTool(target, 'client')
  const name = target.database ?? ''
  // Scanned while the read-only checks of the target run; nothing changes before the whole dump is proven to be data.
  const scanned = scanMysqlDump(target, file)
  scanned.catch(() => undefined)
  const beforeChange = async (): Promise<void> => {
    await Promise.all([scanned, hooks.beforeChange()])
  }
  const guardFlags = await mysqlClientGuardFlags(client)
  const exists = (
    await mysqlQuery(
      target,
      `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ${literal(name)};`,
      null
    )
  ).trim()
  if (exists === '0') {
    if (!opts.createIfMissing)
      throw new DatabaseError(
        `The database '${name}' does not exist on ${target.host ?? 'localhost'}:${target.port ?? 3306}: create it, ` +
          `or set the 'create-database' input to let the restore create it.`
      )
    await beforeChange()
    opts.logger.info(`Creating database '${name}' on ${target.host ?? 'localhost'}.`)
    await mysqlQuery(target, `CREATE DATABASE ${ident(name)} CHARACTER SET utf8mb4;`, null)
  } else {
    const present = await mysqlTables(target)
    hooks.ensureTargetLooksRight(present.map(t => t.name))
    await beforeChange()
    if (record.dump?.tables) {
      const inDump = new Set(record.dump.tables)
      const extra = present.filter(t => !inDump.has(t.name))
      if (extra.length) {
        opts.logger.info(
          `Dropping ${extra.length} table(s) the backup does not have: ${extra.map(t => t.name).join(', ')}`
        )
        const drops = extra.map(
          t =>
            `DROP ${t.type === 'VIEW' ? 'VIEW' : t.type === 'SEQUENCE' ? 'SEQUENCE' : 'TABLE'} IF EXISTS ${ident(t.name)};`
        )
        await mysqlQuery(target, ['SET FOREIGN_KEY_CHECKS=0;', ...drops].join('\n'))
      }
    }
  }
  await withMysqlDefaults(target, async defaults => {
    const args = [
      `--defaults-extra-file=${defaults}`,
      ...guardFlags,
      '--default-character-set=utf8mb4',
      `--database=${name}`
    ]
    const child = spawnStreaming(client.path, args)
    child.stdout.resume()
    // Filtered again on the way in: the file was scanned before, but it is read anew here.
    const piped = pipeline(createReadStream(file), createGunzip(), new ClientCommandFilter(), child.stdin).then(
      () => null,
      (e: Error) => {
        // Killed rather than left to read an end of input: that would make it run the statements it holds.
        if (e instanceof ClientCommandError) child.kill()
        return e
      }
    )
    const [run, pipeError] = await Promise.all([child.done, piped])
    if (pipeError instanceof ClientCommandError) throw clientCommandRefusal(describe(target), file, pipeError)
    if (run.exitCode !== 0) throw toolFailure(target, client.name, 'restoring', run)
    if (pipeError)
      throw new DatabaseError(`Reading the dump ${file} failed: ${pipeError.message}`, { cause: pipeError })
  })
}

/** Per table: row count and sums of row MD5s, computed by the server (order-independent). */
export async function mysqlTableChecksums(target: DatabaseTarget): Promise<Record<string, string>> {
  const cols = await mysqlQuery(
    target,
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = DATABASE() AND t.table_type IN ('BASE TABLE','SEQUENCE')
     ORDER BY c.table_name, c.ordinal_position;`
  )
  const byTable = new Map<string, string[]>()
  for (const line of cols.split('\n').filter(l => l.trim())) {
    const [table, column, type] = line.split('\t')
    const expr = /blob|binary/i.test(type) ? `HEX(${ident(column)})` : ident(column)
    byTable.set(table, [...(byTable.get(table) ?? []), `IFNULL(${expr}, '\\\\N')`])
  }
  const result: Record<string, string> = {}
  if (byTable.size === 0) return result
  const parts = [...byTable].map(
    ([table, exprs]) =>
      `SELECT ${literal(table)}, COUNT(*), ` +
      `IFNULL(SUM(CAST(CONV(SUBSTRING(h, 1, 15), 16, 10) AS UNSIGNED)), 0), ` +
      `IFNULL(BIT_XOR(CAST(CONV(SUBSTRING(h, 16, 16), 16, 10) AS UNSIGNED)), 0) ` +
      `FROM (SELECT MD5(CONCAT_WS('|', ${exprs.join(', ')})) h FROM ${ident(table)}) x`
  )
  const out = await mysqlQuery(target, parts.join('\nUNION ALL\n') + ';')
  for (const line of out.split('\n').filter(l => l.trim())) {
    const [table, ...rest] = line.split('\t')
    result[table] = rest.join('|')
  }
  return result
}
