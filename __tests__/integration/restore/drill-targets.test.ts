/**
 * A restore drill must never write into the backed-up (production) databases. Redirecting only 'database-url' used
 * to load the archive dump into the archive database the restored conf names — production — without a word. With
 * real PostgreSQL databases: the refusal names the missing input, production's checksums stay the same, and with
 * every target given the drill conf names only the drill's databases.
 */
import { readdir } from 'node:fs/promises'
import * as path from 'node:path'
import { readHome } from '../../../src/home/index.js'
import { getValue, parseHoconFile } from '../../../src/home/hocon.js'
import { Input, Output } from '../../../src/settings/inputs.js'
import { InputError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { createPgDatabase, useScratchLogins } from '../../support/database-fixtures.js'
import {
  PG_URL,
  attempt,
  checksums,
  makeDbHome,
  run,
  type ConfDatabase,
  type Inputs
} from '../../support/e2e-restore.js'

const scratch = useScratchLogins('xlr-drill-targets-', { postgresql: ['repository', 'archive'] })
const { role } = scratch
const { repository: prodRepo, archive: prodArchive } = scratch.pg
let repoDb: ConfDatabase
let archiveDb: ConfDatabase
let home: string
let store: string

const base = (over: Inputs): Inputs => ({
  [Input.Home]: home,
  [Input.Storage]: 'directory',
  [Input.Path]: store,
  [Input.Name]: 'drill-targets',
  [Input.DatabasePassword]: role.password,
  [Input.ArchiveDatabasePassword]: role.password,
  [Input.Threads]: '2',
  ...over
})

beforeAll(async () => {
  store = path.join(scratch.tmp, 'store')
  repoDb = { url: PG_URL(prodRepo.database), username: role.name, password: role.password }
  archiveDb = { url: PG_URL(prodArchive.database), username: role.name, password: role.password }
  home = (await makeDbHome(path.join(scratch.tmp, 'home'), { repository: repoDb, archive: archiveDb })).dir
  await run(base({ [Input.Mode]: 'backup' }))
})

function drillDb(): string {
  return scratch.extraDatabase('postgresql', 'drill_pg')
}

async function production() {
  return { repo: await checksums('postgresql', repoDb), archive: await checksums('postgresql', archiveDb) }
}

describe('a restore drill that redirects only some databases', () => {
  test.each([false, true])(
    "only 'database-url' given (dry run: %s): refused naming 'archive-database-url'; production unchanged",
    async dryRun => {
      const before = await production()
      const drillHome = path.join(scratch.tmp, `drill-only-repo-${dryRun}`)
      const { error } = await attempt(
        base({
          [Input.Mode]: 'restore',
          [Input.Home]: drillHome,
          [Input.Components]: 'all',
          [Input.DatabaseUrl]: PG_URL(drillDb()),
          [Input.CreateDatabase]: 'true',
          [Input.DryRun]: String(dryRun)
        })
      )
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).input).toBe('archive-database-url')
      expect(error!.message).toContain(`'database-url' sends the repository database to the drill`)
      expect(error!.message).toContain(`the archive database would be restored into ${PG_URL(prodArchive.database)}`)
      expect(error!.message).toContain(`set 'archive-database-url'`)
      expect(await production()).toEqual(before)
      expect(await readdir(drillHome).catch(() => [])).toEqual([])
    }
  )

  test('both targets given: the drill restores into them, its conf names only them, production unchanged', async () => {
    const before = await production()
    const drillHome = path.join(scratch.tmp, 'drill-both')
    const [repoName, archiveName] = [drillDb(), drillDb()]
    const { result } = await run(
      base({
        [Input.Mode]: 'restore',
        [Input.Home]: drillHome,
        [Input.Components]: 'all',
        [Input.DatabaseUrl]: PG_URL(repoName),
        [Input.ArchiveDatabaseUrl]: PG_URL(archiveName),
        [Input.CreateDatabase]: 'true'
      })
    )
    expect(result.outputs[Output.RestoredComponents]).toContain('databases')
    const effective = (await readHome(drillHome, new MemoryLogger())).databases
    expect(effective.repository?.url).toBe(PG_URL(repoName))
    expect(effective.archive?.url).toBe(PG_URL(archiveName))
    // A drill starts in maintenance mode: no triggers or tasks against the real systems production talks to.
    const conf = parseHoconFile(path.join(drillHome, 'conf/xl-release.conf'), { unresolved: 'keep' })
    expect(getValue(conf, 'xl.maintenance.enabled')).toBe(true)
    expect(Object.fromEntries(result.summary!.facts)['Maintenance mode']).toMatch(/^on \(a restore drill\)/)
    expect(await checksums('postgresql', { ...archiveDb, url: PG_URL(archiveName) })).toEqual(before.archive)
    expect(await production()).toEqual(before)
  })
})

describe('both roles in one production database', () => {
  test("redirecting only 'database-url' is refused: the drill server would still use production for the archive", async () => {
    const shared = createPgDatabase('repository', role)
    try {
      const db: ConfDatabase = { url: PG_URL(shared.database), username: role.name, password: role.password }
      const sharedHome = (await makeDbHome(path.join(scratch.tmp, 'shared-home'), { repository: db, archive: db })).dir
      const inputs = { ...base({}), [Input.Home]: sharedHome, [Input.Name]: 'drill-shared' }
      await run({ ...inputs, [Input.Mode]: 'backup' })
      const before = await checksums('postgresql', db)
      const { error } = await attempt({
        ...inputs,
        [Input.Mode]: 'restore',
        [Input.Home]: path.join(scratch.tmp, 'drill-shared'),
        [Input.Components]: 'all',
        [Input.DatabaseUrl]: PG_URL(drillDb()),
        [Input.CreateDatabase]: 'true'
      })
      expect((error as InputError).input).toBe('archive-database-url')
      expect(await checksums('postgresql', db)).toEqual(before)
    } finally {
      shared.drop()
    }
  })
})
