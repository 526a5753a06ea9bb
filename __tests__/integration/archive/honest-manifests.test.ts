/**
 * The strict manifest schema accepts what the real writer makes: backups of a home with PostgreSQL databases, dumped
 * in the custom format (one job) and the directory format (several jobs), opened by the same reader restore uses.
 * (MariaDB dumps, with their table lists, go through it in the e2e restore tests.)
 */
import * as path from 'node:path'
import { openBackupArchive } from '../../../src/archive/backup-archive.js'
import { Input } from '../../../src/settings/inputs.js'
import { useScratchLogins } from '../../support/database-fixtures.js'
import { makeDbHome, PG_URL, run, type ConfDatabase } from '../../support/e2e-restore.js'

const scratch = useScratchLogins('xlr-honest-manifest-', { postgresql: ['repository', 'archive'] })
let tmp: string
let home: string
let password: string

beforeAll(async () => {
  tmp = scratch.tmp
  const { role, pg } = scratch
  password = role.password
  const db = (name: string): ConfDatabase => ({ url: PG_URL(name), username: role.name, password })
  home = (
    await makeDbHome(path.join(tmp, 'home'), {
      repository: db(pg.repository.database),
      archive: db(pg.archive.database)
    })
  ).dir
})

it.each([
  ['1', 'pg-custom', 'dump.pgdump'],
  ['2', 'pg-directory', 'dump.pgdir']
])('database-jobs %s: the %s backup opens under the schema', async (jobs, format, file) => {
  const { result } = await run({
    [Input.Mode]: 'backup',
    [Input.Home]: home,
    [Input.Storage]: 'directory',
    [Input.Path]: path.join(tmp, `store-${jobs}`),
    [Input.Name]: 'honest',
    [Input.DatabasePassword]: password,
    [Input.ArchiveDatabasePassword]: password,
    [Input.DatabaseJobs]: jobs
  })
  const archive = await openBackupArchive(result.outputs['backup-path'] as string)
  try {
    expect(archive.manifest.databases.map(d => [d.roles, d.dump?.format, d.dump?.prefix, d.dump?.file])).toEqual([
      [['repository'], format, 'database/repository/', file],
      [['archive'], format, 'database/archive/', file]
    ])
  } finally {
    await archive.close()
  }
})
