import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { makeHome } from '../../scripts/make-home.js'
import { Input } from '../../src/settings/inputs.js'
import { InputError } from '../../src/shared/errors.js'
import { openBackupArchive } from '../../src/archive/backup-archive.js'
import { attempt } from '../support/run-job.js'
import { scratchFolder } from '../support/scratch.js'

/*
 * A backup must never leave a database out by surprise: a role is "embedded, in the home archive" only when its
 * database files are in the home, and a db-url the config takes from the server's own environment is an error.
 */

let work: string
let n = 0
scratchFolder('xlr-embedded-', made => (work = made))

/** A generated home (H2 repository/xl-release.mv.db, Derby archive/db) with `conf` as its xl-release.conf. */
async function home(conf?: string): Promise<string> {
  const dir = path.join(work, `home${++n}`)
  await makeHome(dir, { scale: 0.002 })
  if (conf !== undefined) await writeFile(path.join(dir, 'conf/xl-release.conf'), conf)
  return dir
}

async function backup(homeDir: string, extra: Partial<Record<Input, string>> = {}) {
  const store = path.join(work, `store${n}`)
  const inputs = { [Input.Home]: homeDir, [Input.Storage]: 'directory', [Input.Path]: store, [Input.Name]: 'nightly' }
  const { result, error, logger } = await attempt({ ...inputs, ...extra })
  const outcome = error ? { error } : result
  const stored = await readdir(store).catch(() => [] as string[])
  return { outcome, logger, stored }
}

function refusal(outcome: unknown): InputError {
  expect(outcome).toHaveProperty('error')
  const error = (outcome as { error: unknown }).error
  expect(error).toBeInstanceOf(InputError)
  return error as InputError
}

// As the vendor's Docker image and many service installs write it: the URL comes from the service environment.
const FROM_SERVICE_ENV = `xl {
  database {
    db-driver-classname = "org.postgresql.Driver"
    db-url = \${?XL_DB_URL}
    db-username = \${?XL_DB_USERNAME}
    db-password = \${?XL_DB_PASSWORD}
  }
  reporting {
    db-driver-classname = "org.postgresql.Driver"
    db-url = \${?XL_REPORT_DB_URL}
  }
}
`

describe('embedded or not: what a backup may take for "in the home archive"', () => {
  beforeAll(() => {
    for (const v of ['XL_DB_URL', 'XL_REPORT_DB_URL']) expect(process.env[v]).toBeUndefined()
  })

  it('a db-url from ${?XL_DB_URL} unset for the runner is refused, naming the key, the file and the inputs', async () => {
    const dir = await home(FROM_SERVICE_ENV)
    const { outcome, stored } = await backup(dir)
    const error = refusal(outcome)
    expect(error.input).toBe('database-url')
    expect(error.message).toContain(`${path.join(dir, 'conf/xl-release.conf')}:4 sets xl.database.db-url`)
    expect(error.message).toContain('(db-url = ${?XL_DB_URL})')
    expect(error.message).toMatch(/Set 'database-url' \(with 'database-username' and 'database-password'\)/)
    expect(error.message).toContain("'database: none'")
    expect(stored).toEqual([])
  })

  it('the archive role is refused on its own, naming archive-database-url', async () => {
    const dir = await home(
      FROM_SERVICE_ENV.replace('db-url = ${?XL_DB_URL}', 'db-url = "jdbc:h2:file:./repository/xl-release"')
    )
    const error = refusal((await backup(dir)).outcome)
    expect(error.input).toBe('archive-database-url')
    expect(error.message).toContain('sets xl.reporting.db-url')
    expect(error.message).toContain('${?XL_REPORT_DB_URL}')
  })

  it("'database: none' backs up such a home deliberately", async () => {
    const dir = await home(FROM_SERVICE_ENV)
    const { outcome, stored } = await backup(dir, { [Input.Database]: 'none' })
    expect(outcome).not.toHaveProperty('error')
    expect(stored).toContain('nightly.zip')
  })

  it('no URL and no embedded database files in the home is refused for each role', async () => {
    const dir = await home('xl {}\n')
    await rm(path.join(dir, 'repository/xl-release.mv.db'))
    const first = refusal((await backup(dir)).outcome)
    expect(first.input).toBe('database-url')
    expect(first.message).toMatch(/The repository database is not in the home: no database URL is configured/)
    expect(first.message).toContain('no H2 (*.mv.db, *.h2.db) or Derby (service.properties, seg0/) files are there')

    await writeFile(path.join(dir, 'repository/xl-release.mv.db'), 'h2')
    await rm(path.join(dir, 'archive/db'), { recursive: true })
    const second = refusal((await backup(dir)).outcome)
    expect(second.input).toBe('archive-database-url')
    expect(second.message).toMatch(/The archive database is not in the home/)
  })

  it('an embedded URL whose files are missing, or lie outside the home, is refused', async () => {
    const dir = await home()
    await rename(path.join(dir, 'archive/db'), path.join(work, `derby${n}`))
    const missing = refusal((await backup(dir)).outcome)
    expect(missing.message).toContain(
      'conf/xl-release.conf: xl.reporting names the embedded derby database jdbc:derby:archive/db;create=true, but its files are not there'
    )

    const outside = path.join(work, `derby${n}`)
    await writeFile(
      path.join(dir, 'conf/xl-release.conf'),
      `xl.database.db-url = "jdbc:h2:file:./repository/xl-release"\nxl.reporting.db-url = "jdbc:derby:${outside}"\n`
    )
    const elsewhere = refusal((await backup(dir)).outcome)
    expect(elsewhere.message).toContain(`but its files are at ${outside}/service.properties, outside the home`)
  })

  it('a realistic embedded home (H2 + Derby files present) is backed up with both databases in it', async () => {
    for (const conf of [undefined, 'xl {}\n']) {
      const dir = await home(conf)
      const { outcome, logger, stored } = await backup(dir)
      expect(outcome).not.toHaveProperty('error')
      expect(stored).toContain('nightly.zip')
      const info = logger.messages('info').join('\n')
      expect(info).toMatch(/The repository database is embedded: repository\/xl-release\.mv\.db is in the home archive/)
      expect(info).toMatch(
        /The archive database is embedded: archive\/db\/(service\.properties|seg0) is in the home archive/
      )
      const archive = await openBackupArchive(path.join(work, `store${n}`, 'nightly.zip'))
      try {
        expect([...archive.entries].map(e => e.name)).toContain('home/repository/xl-release.mv.db')
      } finally {
        await archive.close()
      }
    }
  })

  it('a JCR-era Derby repository deep in repository/workspaces counts as embedded', async () => {
    const dir = await home('xl {}\n')
    await rm(path.join(dir, 'repository/xl-release.mv.db'))
    await mkdir(path.join(dir, 'repository/workspaces/default/db'), { recursive: true })
    await writeFile(path.join(dir, 'repository/workspaces/default/db/service.properties'), 'derby')
    const { outcome } = await backup(dir)
    expect(outcome).not.toHaveProperty('error')
  })
})
