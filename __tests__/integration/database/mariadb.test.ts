import { readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { DatabaseError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import {
  dumpDatabase,
  preflight,
  resolveDatabases,
  restoreDatabase,
  tableChecksums,
  type DatabaseTarget
} from '../../../src/database/index.js'
import { dumpRepository, homeWith, mariaAdmin, settings, useScratchLogins } from '../../support/database-fixtures.js'

const scratch = useScratchLogins('xlr-db-maria-', { mariadb: ['repository', 'archive'] })
const { user } = scratch
const { repository: repo, archive } = scratch.maria

const url = (db: string) => `jdbc:mariadb://127.0.0.1:3306/${db}?useUnicode=true`

function targetsFor(repoDb: string, archiveDb: string, password = user.password): DatabaseTarget[] {
  const home = homeWith({
    repository: { url: url(repoDb), username: user.name, password: '{b64}encrypted' },
    archive: { url: url(archiveDb), username: user.name, password }
  })
  return resolveDatabases(home, settings({ repository: { password } }), new MemoryLogger())
}

const restoreOpts = () => ({ jobs: 1, createIfMissing: false, allowForeignTarget: false, logger: new MemoryLogger() })

function routines(db: string): string {
  return mariaAdmin(
    `SELECT (SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema='${db}'),
            (SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema='${db}'),
            (SELECT COUNT(*) FROM information_schema.events WHERE event_schema='${db}');`
  ).trim()
}

describe('MariaDB dump and restore (real server, user with a password full of special characters)', () => {
  test('preflight connects with the password and finds the tools', async () => {
    const reports = await preflight(targetsFor(repo.database, archive.database), settings(), new MemoryLogger())
    expect(reports.map(r => r.tool?.name)).toEqual([
      expect.stringMatching(/mariadb-dump|mysqldump/),
      expect.stringMatching(/mariadb-dump|mysqldump/)
    ])
    expect(reports[0].serverVersion).toMatch(/MariaDB/)
  })

  test('both databases dump, survive data loss and restore to identical contents', async () => {
    const [repoT, archiveT] = targetsFor(repo.database, archive.database)
    const before = [await tableChecksums(repoT), await tableChecksums(archiveT)]
    expect(before[0].XLR_TASKS).toMatch(/^4000\|/)
    expect(Object.keys(before[0])).toEqual(expect.arrayContaining(['XLR_ID_SEQ', 'XLR_RELEASES', 'DATABASECHANGELOG']))
    expect(routines(repo.database)).toBe('1\t1\t1')

    const logger = new MemoryLogger()
    const repoDump = await dumpDatabase(repoT, path.join(scratch.tmp, 'b', 'repository'), { jobs: 1, logger })
    const archiveDump = await dumpDatabase(archiveT, path.join(scratch.tmp, 'b', 'archive'), { jobs: 1, logger })
    expect(repoDump.record).toMatchObject({
      engine: 'mariadb',
      database: repo.database,
      dump: { format: 'mysql-sql-gzip', file: 'dump.sql.gz', prefix: 'database/repository/' }
    })
    expect(repoDump.record.dump?.serverVersion).toMatch(/MariaDB/)
    expect(repoDump.record.dump?.tables).toEqual(expect.arrayContaining(['XLR_RELEASES', 'XLR_ID_SEQ']))
    const st = await stat(path.join(repoDump.dir, 'dump.sql.gz'))
    expect(repoDump.record.dump?.bytes).toBe(st.size)
    expect(st.mode & 0o777).toBe(0o600)
    expect(await readdir(repoDump.dir)).toEqual(['dump.sql.gz'])

    mariaAdmin(
      `DELETE FROM XLR_TASKS WHERE CI_UID % 3 = 0; UPDATE XLR_RELEASES SET TITLE = 'changed', CONTENT = NULL;
       SELECT NEXTVAL(XLR_ID_SEQ); DROP TRIGGER XLR_RELEASES_AUDIT; DROP PROCEDURE XLR_COUNT_RELEASES;
       CREATE TABLE XLR_NEW_IN_NEXT_VERSION (ID INT);`,
      repo.database
    )
    mariaAdmin('SET FOREIGN_KEY_CHECKS=0; DROP TABLE XLR_TASKS; DROP TABLE XLR_RELEASES;', archive.database)
    expect(await tableChecksums(repoT)).not.toEqual(before[0])

    await restoreDatabase(repoT, repoDump.dir, repoDump.record, restoreOpts())
    await restoreDatabase(archiveT, archiveDump.dir, archiveDump.record, restoreOpts())
    expect(await tableChecksums(repoT)).toEqual(before[0])
    expect(await tableChecksums(archiveT)).toEqual(before[1])
    expect(routines(repo.database)).toBe('1\t1\t1')
  })

  test('restores into a database it creates when asked', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const dump = await dumpRepository(repoT, scratch.tmp, 'drill')
    const fresh = scratch.extraDatabase('mariadb', 'dbt_drill')
    mariaAdmin(`GRANT ALL ON ${fresh}.* TO '${user.name}'@'%';`)
    const [drillT] = targetsFor(fresh, archive.database)
    await expect(restoreDatabase(drillT, dump.dir, dump.record, restoreOpts())).rejects.toThrow(
      /set the 'create-database' input/
    )
    await restoreDatabase(drillT, dump.dir, dump.record, { ...restoreOpts(), createIfMissing: true })
    expect(await tableChecksums(drillT)).toEqual(await tableChecksums(repoT))
  })

  test('refuses a foreign non-empty database', async () => {
    const [repoT] = targetsFor(repo.database, archive.database)
    const dump = await dumpRepository(repoT, scratch.tmp, 'foreign')
    const foreign = scratch.extraDatabase('mariadb', 'dbt_foreign')
    mariaAdmin(
      `CREATE DATABASE ${foreign}; GRANT ALL ON ${foreign}.* TO '${user.name}'@'%'; CREATE TABLE ${foreign}.orders (id INT);`
    )
    const [foreignT] = targetsFor(foreign, archive.database)
    const error = await restoreDatabase(foreignT, dump.dir, dump.record, restoreOpts()).catch(e => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message).toMatch(/Refusing to restore .*orders.*allow-foreign-database/s)
  })

  test('a wrong password is a clear error naming the input, without the password, and leaves no dump', async () => {
    const wrong = `wrong "pw" #${Date.now()}`
    const [repoT] = targetsFor(repo.database, archive.database, wrong)
    const preflightError = await preflight([repoT], settings(), new MemoryLogger()).catch(e => e)
    expect(preflightError).toBeInstanceOf(DatabaseError)
    expect(preflightError.message).toMatch(/refused user '.*': check the 'database-password' input/)
    expect(preflightError.message).toMatch(/Access denied/)
    expect(preflightError.message).not.toContain(wrong)

    const out = path.join(scratch.tmp, 'wrong-pw')
    const dumpError = await dumpDatabase(repoT, out, { jobs: 1, logger: new MemoryLogger() }).catch(e => e)
    expect(dumpError).toBeInstanceOf(DatabaseError)
    expect(dumpError.message).toMatch(/database-password/)
    expect(await readdir(out)).toEqual([])
  })
})
