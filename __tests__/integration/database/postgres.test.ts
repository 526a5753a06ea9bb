import { readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { DatabaseError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import {
  dumpDatabase,
  preflight,
  resolveDatabases,
  restoreDatabase,
  safetyDump,
  tableChecksums,
  type DatabaseTarget
} from '../../../src/database/index.js'
import {
  dumpRepository,
  homeWith,
  pgAdmin,
  settings,
  uniqueName,
  useScratchLogins
} from '../../support/database-fixtures.js'

const scratch = useScratchLogins('xlr-db-pg-', { postgresql: ['repository', 'archive'] })
const { role } = scratch
const { repository: repo, archive } = scratch.pg

const url = (db: string) => `jdbc:postgresql://127.0.0.1:5432/${db}?sslmode=disable`

function targetsFor(repoDb: string, archiveDb: string, logger = new MemoryLogger()): DatabaseTarget[] {
  const home = homeWith({
    repository: { url: url(repoDb), username: role.name, password: '{b64}encryptedByTheServer' },
    archive: { url: url(archiveDb), username: role.name, password: role.password }
  })
  return resolveDatabases(home, settings({ repository: { password: role.password } }), logger)
}

const restoreOpts = (logger = new MemoryLogger()) => ({
  jobs: 1,
  createIfMissing: false,
  allowForeignTarget: false,
  logger
})

describe('PostgreSQL dump and restore (real server, dedicated login role with a password)', () => {
  test('preflight reports server and tool versions for both roles', async () => {
    const logger = new MemoryLogger()
    const targets = targetsFor(repo.database, archive.database)
    const reports = await preflight(targets, settings(), logger)
    expect(reports.map(r => r.kind)).toEqual(['built-in', 'built-in'])
    expect(reports[0].tool?.name).toBe('pg_dump')
    expect(reports[0].serverVersion).toMatch(/^\d+\.\d+/)
  })

  test('both databases dump (custom format), survive data loss and restore to identical contents', async () => {
    const [repoT, archiveT] = targetsFor(repo.database, archive.database)
    const before = [await tableChecksums(repoT), await tableChecksums(archiveT)]
    expect(Object.keys(before[0])).toEqual(
      expect.arrayContaining([
        'public.xlr_releases',
        'public.xlr_tasks',
        'public.databasechangelog',
        'sequence public.xlr_id_seq'
      ])
    )
    expect(before[0]['public.xlr_tasks']).toMatch(/^4000\|/)

    const logger = new MemoryLogger()
    const repoDump = await dumpDatabase(repoT, path.join(scratch.tmp, 'custom', 'repository'), { jobs: 1, logger })
    const archiveDump = await dumpDatabase(archiveT, path.join(scratch.tmp, 'custom', 'archive'), { jobs: 1, logger })
    expect(repoDump.record).toMatchObject({
      roles: ['repository'],
      engine: 'postgresql',
      database: repo.database,
      embedded: false,
      dump: { format: 'pg-custom', file: 'dump.pgdump', prefix: 'database/repository/', tool: { name: 'pg_dump' } }
    })
    const file = path.join(repoDump.dir, 'dump.pgdump')
    const st = await stat(file)
    expect(repoDump.record.dump?.bytes).toBe(st.size)
    expect(st.mode & 0o777).toBe(0o600)
    expect(repoDump.record.dump?.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(repoDump.record.dump?.serverVersion).toMatch(/^\d+/)
    expect(await readdir(repoDump.dir)).toEqual(['dump.pgdump'])

    // Lose and change data: delete rows, alter values, advance the sequence, and add a table a "newer schema" made.
    pgAdmin(
      `DELETE FROM xlr_tasks WHERE ci_uid % 3 = 0; UPDATE xlr_releases SET title = 'changed'; SELECT nextval('xlr_id_seq');
       CREATE TABLE xlr_new_in_next_version (id int); GRANT ALL ON xlr_new_in_next_version TO ${role.name};
       ALTER TABLE xlr_new_in_next_version OWNER TO ${role.name};`,
      repo.database
    )
    pgAdmin('DROP TABLE xlr_tasks, xlr_releases CASCADE;', archive.database)
    expect(await tableChecksums(repoT)).not.toEqual(before[0])

    const rlog = new MemoryLogger()
    await restoreDatabase(repoT, repoDump.dir, repoDump.record, restoreOpts(rlog))
    await restoreDatabase(archiveT, archiveDump.dir, archiveDump.record, restoreOpts(rlog))
    expect(await tableChecksums(repoT)).toEqual(before[0])
    expect(await tableChecksums(archiveT)).toEqual(before[1])
    expect(rlog.messages('info').join('\n')).toMatch(
      /Dropping 1 table\(s\) the backup does not have: public.xlr_new_in_next_version/
    )
  })

  test('directory format with jobs=2 restores identically, also into a database it creates', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const before = await tableChecksums(repoT)
    const dump = await dumpDatabase(repoT, path.join(scratch.tmp, 'dir', 'repository'), {
      jobs: 2,
      logger: new MemoryLogger()
    })
    expect(dump.record.dump).toMatchObject({ format: 'pg-directory', file: 'dump.pgdir' })
    expect(dump.record.dump?.sha256).toBeUndefined()
    expect(dump.record.dump?.bytes).toBeGreaterThan(0)
    expect(await readdir(path.join(dump.dir, 'dump.pgdir'))).toContain('toc.dat')

    const fresh = scratch.extraDatabase('postgresql', 'dbt_drill')
    const [drillT] = targetsFor(fresh, archive.database)
    await expect(restoreDatabase(drillT, dump.dir, dump.record, restoreOpts())).rejects.toThrow(
      new RegExp(`The database '${fresh}' does not exist .*set the 'create-database' input`)
    )
    await restoreDatabase(drillT, dump.dir, dump.record, { ...restoreOpts(), jobs: 2, createIfMissing: true })
    expect(await tableChecksums(drillT)).toEqual(before)
  })

  test('a custom-format dump restores with parallel jobs too', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const before = await tableChecksums(repoT)
    const dump = await dumpRepository(repoT, scratch.tmp, 'custom-j')
    pgAdmin('TRUNCATE xlr_tasks;', repo.database)
    await restoreDatabase(repoT, dump.dir, dump.record, { ...restoreOpts(), jobs: 2 })
    expect(await tableChecksums(repoT)).toEqual(before)
  })

  test('refuses a non-empty database that is not XL Release’s, unless allowed', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const dump = await dumpRepository(repoT, scratch.tmp, 'foreign')
    const foreign = scratch.extraDatabase('postgresql', 'dbt_foreign')
    pgAdmin(`CREATE DATABASE ${foreign} OWNER ${role.name};`)
    pgAdmin(`SET ROLE ${role.name}; CREATE TABLE customers (id int); CREATE TABLE invoices (id int);`, foreign)
    const [foreignT] = targetsFor(foreign, archive.database)
    const error = await restoreDatabase(foreignT, dump.dir, dump.record, restoreOpts()).catch(e => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message).toMatch(
      /Refusing to restore .*public.customers, public.invoices.*set 'allow-foreign-database: true'/s
    )
    expect(pgAdmin('SELECT count(*) FROM customers;', foreign).trim()).toBe('0')

    await restoreDatabase(foreignT, dump.dir, dump.record, { ...restoreOpts(), allowForeignTarget: true })
    expect((await tableChecksums(foreignT))['public.xlr_releases']).toBe(
      (await tableChecksums(repoT))['public.xlr_releases']
    )
  })

  test('a damaged dump is refused before anything is touched', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const dump = await dumpRepository(repoT, scratch.tmp, 'damaged')
    const record = { ...dump.record, dump: { ...dump.record.dump!, sha256: '0'.repeat(64) } }
    await expect(restoreDatabase(repoT, dump.dir, record, restoreOpts())).rejects.toThrow(/does not match its SHA-256/)
    // A caller that verified the bytes itself (the zip reader) skips the re-read.
    await restoreDatabase(repoT, dump.dir, record, { ...restoreOpts(), dumpVerified: true })
  })

  test('hash: false leaves the SHA-256 to the caller', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const dump = await dumpDatabase(repoT, path.join(scratch.tmp, 'nohash', 'repository'), {
      jobs: 1,
      hash: false,
      logger: new MemoryLogger()
    })
    expect(dump.record.dump?.format).toBe('pg-custom')
    expect(dump.record.dump?.sha256).toBeUndefined()
  })

  test('safetyDump saves an existing database and skips a missing one', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const saved = await safetyDump(repoT, path.join(scratch.tmp, 'previous', 'repository'), {
      jobs: 1,
      logger: new MemoryLogger()
    })
    expect(saved?.record.dump?.format).toBe('pg-custom')
    const [missingT] = targetsFor(uniqueName('dbt_missing'), archive.database)
    expect(
      await safetyDump(missingT, path.join(scratch.tmp, 'previous', 'missing'), { jobs: 1, logger: new MemoryLogger() })
    ).toBeNull()
  })

  test('the same database configured for both roles is dumped once', async () => {
    const home = homeWith({
      repository: { url: url(repo.database), username: role.name, password: role.password },
      archive: { url: `jdbc:postgresql://127.0.0.1/${repo.database}`, username: role.name, password: role.password }
    })
    const targets = resolveDatabases(home, settings(), new MemoryLogger())
    expect(targets).toHaveLength(1)
    const dump = await dumpDatabase(targets[0], path.join(scratch.tmp, 'shared'), {
      jobs: 1,
      logger: new MemoryLogger()
    })
    expect(dump.record.roles).toEqual(['repository', 'archive'])
    expect(dump.record.dump?.prefix).toBe('database/repository+archive/')
  })
})
