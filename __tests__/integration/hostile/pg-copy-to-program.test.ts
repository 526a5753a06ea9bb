/**
 * A pg_dump archive is not a psql script (pg_restore runs no meta-commands), but the SQL inside it runs with the
 * restoring role's privileges: a forged dump whose materialized view calls a function doing
 * `COPY (SELECT 1) TO PROGRAM 'touch …'` runs that program on the database server when a superuser restores it.
 * Restored, as the restore does, by the XL Release database user (no superuser), it fails and changes nothing.
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { DatabaseRecord } from '../../../src/format/manifest.js'
import { dumpDatabase, resolveDatabases, restoreDatabase } from '../../../src/database/index.js'
import type { DatabaseTarget } from '../../../src/database/types.js'
import { DatabaseError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import {
  PG,
  createPgRole,
  homeWith,
  pgAdmin,
  pgDropDatabase,
  settings,
  uniqueName
} from '../../support/database-fixtures.js'

let tmp: string
let canaries: string
let role: ReturnType<typeof createPgRole>
let source: string
let dump: { dir: string; record: DatabaseRecord }
const databases: string[] = []

function targetFor(database: string, user: string, password: string): DatabaseTarget {
  const [target] = resolveDatabases(
    homeWith({
      repository: { url: `jdbc:postgresql://${PG.host}:${PG.port}/${database}`, username: user, password: '{b64}x' }
    }),
    settings({ repository: { password } }),
    new MemoryLogger()
  )
  return target
}

function newDatabase(owner: string): string {
  const name = uniqueName('dbt_copyprog')
  databases.push(name)
  pgAdmin(`CREATE DATABASE ${name} OWNER ${owner};`)
  return name
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xlr-hostile-pg-'))
  // COPY … TO PROGRAM runs as the database server's OS user: the canary folder must be writable for it.
  canaries = path.join(tmp, 'canaries')
  await mkdir(canaries)
  await chmod(tmp, 0o755)
  await chmod(canaries, 0o777)
  role = createPgRole()
  source = newDatabase(PG.admin)
  // Harmless where it is made (the function acts only in another database): the forged backup's author tests it.
  pgAdmin(
    `CREATE TABLE xl_version (component varchar(255) PRIMARY KEY, version varchar(255));
     INSERT INTO xl_version VALUES ('xl-release', '24.1.0');
     CREATE FUNCTION xlr_payload() RETURNS int LANGUAGE plpgsql AS $f$
     BEGIN
       IF current_database() <> '${source}' THEN
         EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'touch ${canaries}/' || current_database());
       END IF;
       RETURN 1;
     END $f$;
     CREATE MATERIALIZED VIEW xlr_payload_view AS SELECT xlr_payload() AS x;`,
    source
  )
  const dir = path.join(tmp, 'dump')
  const result = await dumpDatabase(targetFor(source, PG.admin, ''), dir, { jobs: 1, logger: new MemoryLogger() })
  dump = { dir, record: result.record }
})

afterAll(async () => {
  for (const db of databases) pgDropDatabase(db)
  role?.drop()
  await rm(tmp, { recursive: true, force: true })
})

const opts = (logger = new MemoryLogger()) => ({ jobs: 1, createIfMissing: false, allowForeignTarget: false, logger })

test('restored by a superuser, the dump runs a program on the database server (the danger is real)', async () => {
  const target = newDatabase(PG.admin)
  const logger = new MemoryLogger()
  await restoreDatabase(targetFor(target, PG.admin, ''), dump.dir, dump.record, opts(logger))
  expect(existsSync(path.join(canaries, target))).toBe(true)
  expect(logger.messages('warning').join('\n')).toMatch(
    /restored as 'postgres', a PostgreSQL superuser: a dump restored this way can run programs on the database server \(COPY … TO PROGRAM\)/
  )
})

test('restored as the XL Release database user (no superuser), COPY … TO PROGRAM fails and nothing changes', async () => {
  const target = newDatabase(role.name)
  const logger = new MemoryLogger()
  const error = await restoreDatabase(
    targetFor(target, role.name, role.password),
    dump.dir,
    dump.record,
    opts(logger)
  ).catch(e => e)
  expect(error).toBeInstanceOf(DatabaseError)
  expect(error.message).toMatch(/pg_execute_server_program|must be superuser/)
  expect(existsSync(path.join(canaries, target))).toBe(false)
  expect(logger.messages('warning')).toEqual([])
  // One transaction: the failed restore left the database as it was (empty).
  expect(
    pgAdmin(
      `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public';`,
      target
    ).trim()
  ).toBe('0')
})
