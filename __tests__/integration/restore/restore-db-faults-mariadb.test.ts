/**
 * The second database of a restore fails half-way: the repository (PostgreSQL) is already restored when the archive's
 * MariaDB client dies after loading part of the dump. Both databases and the home must go back to how they were.
 */
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { RestoreError } from '../../../src/shared/errors.js'
import { Input } from '../../../src/settings/inputs.js'
import { mariaAdmin, pgAdmin, writeScript } from '../../support/database-fixtures.js'
import { checksums, exactTree, run, runFailing, type Inputs, useDbHome } from '../../support/e2e-restore.js'
import { withEnvVar } from '../../support/env.js'

const fx = useDbHome('xlr-e2e-mariafault-', 'maria-fault', { archive: 'mariadb' })

function inputs(over: Inputs = {}): Inputs {
  return fx.inputs({ [Input.Mode]: 'restore', ...over })
}

beforeAll(async () => {
  await run({ ...inputs(), [Input.Mode]: 'backup' })
})

test('the MariaDB client dies after loading part of the dump: both databases and the home go back', async () => {
  await writeFile(path.join(fx.home, 'plugins/__local__/later.jar'), 'added after the backup')
  pgAdmin(`UPDATE xlr_releases SET status = 'CHANGED' WHERE ci_uid % 2 = 0;`, fx.pg.database)
  mariaAdmin(`DELETE FROM XLR_AUDIT WHERE ID % 2 = 0; UPDATE XLR_FOLDERS SET NAME = 'changed';`, fx.maria.database)
  const before = {
    tree: await exactTree(fx.home),
    repo: await checksums('postgresql', fx.repoDb),
    archive: await checksums('mariadb', fx.archiveDb)
  }

  // The client: queries (--batch) and --version go to the real one; the first restore feeds it the first part of
  // the dump (DROP/CREATE and some INSERTs really run, autocommitted) and then dies.
  const realClient = execFileSync('sh', ['-c', 'command -v mariadb'], { encoding: 'utf8' }).trim()
  const mark = path.join(fx.tmp, 'client-killed')
  const fakes = path.join(fx.tmp, 'fake-mariadb')
  await writeScript(
    fakes,
    'mariadb',
    `REAL='${realClient}'
for a in "$@"; do case "$a" in --batch|--version|-V|--help) exec "$REAL" "$@";; esac; done
[ -e '${mark}' ] && exec "$REAL" "$@"
head -c 60000 | "$REAL" "$@"
echo "half-loaded by $$" > '${mark}'
kill -9 $$`
  )

  const failure = await withEnvVar('PATH', `${fakes}:${process.env.PATH}`, () => runFailing(inputs()))

  expect(await readFile(mark, 'utf8')).toMatch(/half-loaded/)
  expect(failure.error).toBeInstanceOf(RestoreError)
  expect(failure.error.message).toMatch(/archive database/)
  expect(failure.error.message).toMatch(/Every change was undone/)
  // The repository database had been restored already: it went back from its safety dump too.
  const log = failure.logger.messages().join('\n')
  expect(log).toMatch(/Putting the repository database back from its safety dump/)
  expect(log).toMatch(/Putting the archive database back from its safety dump/)
  expect(await checksums('postgresql', fx.repoDb)).toEqual(before.repo)
  expect(await checksums('mariadb', fx.archiveDb)).toEqual(before.archive)
  expect(await exactTree(fx.home)).toBe(before.tree)
})
