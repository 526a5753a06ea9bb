import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { DatabaseError, InputError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { dumpDatabase, preflight, resolveDatabases, restoreDatabase } from '../../src/database/index.js'
import { homeWith, settings, writeScript } from '../support/database-fixtures.js'
import { commandLinesContaining } from '../support/database-processes.js'
import { scratchFolder } from '../support/scratch.js'

let tmp: string
const password = `oracle-secret-${process.pid}-${Date.now()}`

scratchFolder('xlr-db-custom-', made => (tmp = made))

function oracleTarget() {
  const home = homeWith({
    repository: { url: 'jdbc:oracle:thin:@//ora.example.com:1521/XEPDB1', username: 'xlr', password: '{b64}x' },
    archive: { url: 'jdbc:sqlserver://sql\\INST:1433;databaseName=xlarchive', username: 'sa', password: '{b64}y' }
  })
  return resolveDatabases(home, settings({ repository: { password }, archive: { password: 'p2' } }), new MemoryLogger())
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise(r => setTimeout(r, 50))
  if (!existsSync(file)) throw new Error(`${file} never appeared`)
}

describe('database-backup-command / database-restore-command', () => {
  test('preflight without a command is an InputError naming the input and the docs', async () => {
    const targets = oracleTarget()
    const error = await preflight(targets, settings(), new MemoryLogger()).catch(e => e)
    expect(error).toBeInstanceOf(InputError)
    expect(error.input).toBe('database-backup-command')
    expect(error.message).toMatch(
      /is oracle, which this action has no built-in backup tool for: set the 'database-backup-command'/
    )
    const restoreError = await preflight(
      targets,
      settings({ backupCommand: 'true' }),
      new MemoryLogger(),
      'restore'
    ).catch(e => e)
    expect(restoreError.input).toBe('database-restore-command')
    const ok = await preflight(targets, settings({ backupCommand: 'true' }), new MemoryLogger())
    expect(ok.map(r => r.kind)).toEqual(['custom-command', 'custom-command'])
  })

  test('the pair really runs with the documented environment; the password is in no command line', async () => {
    const [oracle] = oracleTarget()
    const signals = path.join(tmp, 'signals')
    await mkdir(signals)
    const backup = await writeScript(
      tmp,
      'backup.sh',
      `set -e
printf '%s' "$XLR_DB_PASSWORD" | sha256sum | cut -d' ' -f1 > "$1/password.sha"
env | grep '^XLR_' | grep -v '^XLR_DB_PASSWORD=' | sort > "$1/backup-env.txt"
touch "$1/ready"
while [ ! -f "$1/go" ]; do sleep 0.05; done
printf 'expdp of %s as %s\\n' "$XLR_DB_NAME" "$XLR_DB_USER" > "$XLR_DUMP_FILE"`
    )
    const restore = await writeScript(
      tmp,
      'restore.sh',
      `set -e
cat "$XLR_DUMP_FILE" > "$1/restored.txt"
env | grep '^XLR_' | grep -v '^XLR_DB_PASSWORD=' | sort > "$1/restore-env.txt"`
    )
    const out = path.join(tmp, 'dump', 'repository')
    const running = dumpDatabase(oracle, out, {
      jobs: 3,
      backupCommand: `sh ${backup} ${signals}`,
      logger: new MemoryLogger()
    })
    await waitFor(path.join(signals, 'ready'))
    // While the command runs: no process's command line holds the password, though the command's does show.
    expect(await commandLinesContaining(password)).toEqual([])
    expect((await commandLinesContaining(backup)).length).toBeGreaterThan(0)
    await writeFile(path.join(signals, 'go'), '')
    const result = await running

    expect(result.record).toMatchObject({
      roles: ['repository'],
      engine: 'oracle',
      embedded: false,
      dump: { format: 'custom-command', prefix: 'database/repository/', tool: { name: 'database-backup-command' } }
    })
    const content = 'expdp of XEPDB1 as xlr\n'
    expect(await readFile(path.join(out, 'dump'), 'utf8')).toBe(content)
    expect(result.record.dump?.bytes).toBe(content.length)
    expect(result.record.dump?.sha256).toBe(createHash('sha256').update(content).digest('hex'))
    expect((await readFile(path.join(signals, 'password.sha'), 'utf8')).trim()).toBe(
      createHash('sha256').update(password).digest('hex')
    )
    const env = await readFile(path.join(signals, 'backup-env.txt'), 'utf8')
    for (const line of [
      'XLR_DB_ROLE=repository',
      'XLR_DB_ENGINE=oracle',
      'XLR_DB_HOST=ora.example.com',
      'XLR_DB_PORT=1521',
      'XLR_DB_NAME=XEPDB1',
      'XLR_DB_USER=xlr',
      'XLR_DB_URL=jdbc:oracle:thin:@//ora.example.com:1521/XEPDB1',
      `XLR_DUMP_DIR=${out}`,
      `XLR_DUMP_FILE=${path.join(out, 'dump')}`,
      'XLR_DB_JOBS=3'
    ])
      expect(env).toContain(line + '\n')
    expect(env).toMatch(/XLR_DB_PARAMS=\{.*"serviceName":"XEPDB1".*\}/)

    await restoreDatabase(oracle, out, result.record, {
      jobs: 1,
      restoreCommand: `sh ${restore} ${signals}`,
      createIfMissing: true,
      allowForeignTarget: false,
      logger: new MemoryLogger()
    })
    expect(await readFile(path.join(signals, 'restored.txt'), 'utf8')).toBe(content)
    const renv = await readFile(path.join(signals, 'restore-env.txt'), 'utf8')
    expect(renv).toContain('XLR_DB_CREATE=true\n')
    expect(renv).toContain('XLR_DB_ALLOW_FOREIGN=false\n')
    expect(renv).toContain(`XLR_DUMP_DIR=${out}\n`)
  })

  test('a restore without the restore command names the input', async () => {
    const [oracle] = oracleTarget()
    const out = path.join(tmp, 'norestore')
    const result = await dumpDatabase(oracle, out, {
      jobs: 1,
      backupCommand: 'echo x > "$XLR_DUMP_FILE"',
      logger: new MemoryLogger()
    })
    const error = await restoreDatabase(oracle, out, result.record, {
      jobs: 1,
      createIfMissing: false,
      allowForeignTarget: false,
      logger: new MemoryLogger()
    }).catch(e => e)
    expect(error).toBeInstanceOf(InputError)
    expect(error.message).toMatch(/set 'database-restore-command'/)
  })

  test('a failing command is a DatabaseError with its output scrubbed, and leaves nothing behind', async () => {
    const [oracle] = oracleTarget()
    const out = path.join(tmp, 'failing')
    const command =
      'echo half > "$XLR_DUMP_FILE"; mkdir "$XLR_DUMP_DIR/sub"; echo "ORA-01017: invalid username/password $XLR_DB_PASSWORD" >&2; exit 3'
    const error = await dumpDatabase(oracle, out, {
      jobs: 1,
      backupCommand: command,
      logger: new MemoryLogger()
    }).catch(e => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message).toMatch(
      /'database-backup-command' failed with exit code 3 .*oracle ora.example.com:1521\/XEPDB1/s
    )
    expect(error.message).toContain('ORA-01017: invalid username/password ***')
    expect(error.message).not.toContain(password)
    expect(await readdir(out)).toEqual([])
  })

  test('a command that writes nothing is an error', async () => {
    const [, sqlserver] = oracleTarget()
    const out = path.join(tmp, 'empty')
    await expect(
      dumpDatabase(sqlserver, out, { jobs: 1, backupCommand: 'true', logger: new MemoryLogger() })
    ).rejects.toThrow(/succeeded but wrote nothing into XLR_DUMP_DIR/)
  })
})
