import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { DatabaseError } from '../../../src/shared/errors.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { dumpDatabase, preflight, resolveDatabases, type DatabaseTarget } from '../../../src/database/index.js'
import {
  createMariaDatabase,
  createMariaUser,
  createPgDatabase,
  createPgRole,
  homeWith,
  settings,
  withPath,
  writeScript,
  type MariaFixture,
  type PgFixture
} from '../../support/database-fixtures.js'
import { commandLinesContaining } from '../../support/database-processes.js'

let tmp: string
let pgRole: ReturnType<typeof createPgRole>
let pg: PgFixture
let mariaUser: ReturnType<typeof createMariaUser>
let maria: MariaFixture

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xlr-db-fail-'))
  pgRole = createPgRole()
  pg = createPgDatabase('repository', pgRole)
  mariaUser = createMariaUser()
  maria = createMariaDatabase('repository', mariaUser)
})

afterAll(async () => {
  pg?.drop()
  pgRole?.drop()
  maria?.drop()
  mariaUser?.drop()
  await rm(tmp, { recursive: true, force: true })
})

function target(url: string, username: string, password: string): DatabaseTarget {
  const home = homeWith({ repository: { url, username, password } })
  return resolveDatabases(home, settings(), new MemoryLogger())[0]
}
const pgTarget = () => target(`jdbc:postgresql://127.0.0.1:5432/${pg.database}`, pg.role, pg.password)
const mariaTarget = () => target(`jdbc:mariadb://127.0.0.1:3306/${maria.database}`, maria.user, maria.password)

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  await new Promise(r => server.close(r))
  return port
}

async function expectNothingLeft(dir: string): Promise<void> {
  expect(existsSync(dir) ? await readdir(dir) : []).toEqual([])
}

describe('failure paths', () => {
  test('unreachable host (closed port): clear errors from preflight and dump, nothing left', async () => {
    const port = await closedPort()
    for (const t of [
      target(`jdbc:postgresql://127.0.0.1:${port}/xlrelease`, 'xlr', 'pw'),
      target(`jdbc:mysql://127.0.0.1:${port}/xlrelease`, 'xlr', 'pw')
    ]) {
      const error = await preflight([t], settings(), new MemoryLogger()).catch(e => e)
      expect(error).toBeInstanceOf(DatabaseError)
      expect(error.message).toMatch(
        new RegExp(`Nothing accepts connections at 127.0.0.1:${port}: check the host and port of 'database-url'`)
      )
      const out = path.join(tmp, `unreachable-${t.engine}`)
      await expect(dumpDatabase(t, out, { jobs: 1, logger: new MemoryLogger() })).rejects.toThrow(
        /Nothing accepts connections/
      )
      await expectNothingLeft(out)
    }
  })

  test('missing MySQL tools: the error names the package to install', async () => {
    const empty = path.join(tmp, 'empty-bin')
    await writeScript(empty, 'unrelated', 'true')
    const error = await withPath(empty, () => preflight([mariaTarget()], settings(), new MemoryLogger())).catch(e => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message).toMatch(/Neither mariadb nor mysql is installed on this runner.*install mariadb-client/)

    // The client is there (so the server answers), the dump tool is not.
    const clientOnly = path.join(tmp, 'client-bin')
    await writeScript(clientOnly, 'unrelated', 'true')
    await symlink('/usr/bin/mariadb', path.join(clientOnly, 'mariadb'))
    const out = path.join(tmp, 'no-dump-tool')
    const dumpError = await withPath(clientOnly, () =>
      dumpDatabase(mariaTarget(), out, { jobs: 1, logger: new MemoryLogger() })
    ).catch(e => e)
    expect(dumpError.message).toMatch(
      /Neither mariadb-dump nor mysqldump is installed .*'sudo apt-get install -y mariadb-client'/
    )
    await expectNothingLeft(out)
  })

  test('a pg_dump on PATH older than the server is passed over for a newer installed one', async () => {
    const bin = path.join(tmp, 'old-pg-bin')
    await writeScript(bin, 'pg_dump', `[ "$1" = --version ] && echo 'pg_dump (PostgreSQL) 9.6.24' && exit 0; exit 99`)
    const reports = await withPath(`${bin}:${process.env.PATH}`, () =>
      preflight([pgTarget()], settings(), new MemoryLogger())
    )
    expect(reports[0].tool?.path).not.toBe(path.join(bin, 'pg_dump'))
    expect(reports[0].tool?.path).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin\/pg_dump$/)
  })

  test('pg_dump killed half-way: a clear error and no dump file left', async () => {
    const bin = path.join(tmp, 'killed-pg-bin')
    await writeScript(
      bin,
      'pg_dump',
      `for a in "$@"; do case "$a" in --version) exec /usr/bin/pg_dump --version;; --file=*) f="\${a#--file=}";; esac; done
printf 'PGDMP partial output' > "$f"
kill -9 $$`
    )
    const out = path.join(tmp, 'killed-pg')
    const error = await withPath(`${bin}:${process.env.PATH}`, () =>
      dumpDatabase(pgTarget(), out, { jobs: 1, logger: new MemoryLogger() })
    ).catch(e => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message).toMatch(/^pg_dump was killed by a signal while dumping the postgresql 127.0.0.1:5432\//)
    await expectNothingLeft(out)
  })

  test('mariadb-dump killed half-way, or ending early with success: clear errors, no dump file left', async () => {
    const killed = path.join(tmp, 'killed-my-bin')
    await writeScript(
      killed,
      'mariadb-dump',
      `[ "$1" = --version ] && exec /usr/bin/mariadb-dump --version
printf -- '-- MariaDB dump\\nCREATE TABLE x (' ; sleep 0.2; kill -9 $$`
    )
    const out = path.join(tmp, 'killed-my')
    const error = await withPath(`${killed}:${process.env.PATH}`, () =>
      dumpDatabase(mariaTarget(), out, { jobs: 1, logger: new MemoryLogger() })
    ).catch(e => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error.message).toMatch(/^mariadb-dump was killed by SIGKILL while dumping the mariadb/)
    await expectNothingLeft(out)

    const short = path.join(tmp, 'short-my-bin')
    await writeScript(
      short,
      'mariadb-dump',
      `[ "$1" = --version ] && exec /usr/bin/mariadb-dump --version
printf -- '-- MariaDB dump\\nCREATE TABLE x (\\n'; exit 0`
    )
    const out2 = path.join(tmp, 'short-my')
    await expect(
      withPath(`${short}:${process.env.PATH}`, () =>
        dumpDatabase(mariaTarget(), out2, { jobs: 1, logger: new MemoryLogger() })
      )
    ).rejects.toThrow(/ended without finishing the dump .*output cut short/)
    await expectNothingLeft(out2)
  })

  test('passwords reach the real tools by 0600 file only: not in argv, not in the environment', async () => {
    const bin = path.join(tmp, 'spy-bin')
    const log = path.join(tmp, 'spy.log')
    const spy = (real: string) => `[ "$1" = --version ] && exec ${real} --version
{ echo "ARGS: $*"; echo "PGPASSWORD=\${PGPASSWORD-unset} MYSQL_PWD=\${MYSQL_PWD-unset}";
  [ -n "$PGPASSFILE" ] && [ -f "$PGPASSFILE" ] && echo "PGPASSFILE mode $(stat -c %a "$PGPASSFILE")"
  for a in "$@"; do case "$a" in --defaults-extra-file=*) echo "DEFAULTS mode $(stat -c %a "\${a#--defaults-extra-file=}")";; esac; done
} >> ${log}
sleep 0.5
exec ${real} "$@"`
    await writeScript(bin, 'pg_dump', spy('/usr/bin/pg_dump'))
    await writeScript(bin, 'mariadb-dump', spy('/usr/bin/mariadb-dump'))
    const seen: string[] = []
    const scanning = { on: true }
    const scan = (async () => {
      while (scanning.on) {
        for (const secret of [pg.password, maria.password]) seen.push(...(await commandLinesContaining(secret)))
        await new Promise(r => setTimeout(r, 20))
      }
    })()
    let sawTool = false
    const watch = (async () => {
      while (scanning.on && !sawTool) {
        sawTool = (await commandLinesContaining(path.join(bin, 'pg_dump'))).length > 0 || sawTool
        await new Promise(r => setTimeout(r, 20))
      }
    })()
    try {
      await withPath(`${bin}:${process.env.PATH}`, async () => {
        await dumpDatabase(pgTarget(), path.join(tmp, 'spy-pg'), { jobs: 1, logger: new MemoryLogger() })
        await dumpDatabase(mariaTarget(), path.join(tmp, 'spy-my'), { jobs: 1, logger: new MemoryLogger() })
      })
    } finally {
      scanning.on = false
      await Promise.all([scan, watch])
    }
    expect(sawTool).toBe(true)
    expect(seen).toEqual([])
    const text = await readFile(log, 'utf8')
    expect(text).not.toContain(pg.password)
    expect(text).not.toContain(maria.password)
    expect(text).toContain('PGPASSWORD=unset MYSQL_PWD=unset')
    expect(text).toContain('PGPASSFILE mode 600')
    expect(text).toContain('DEFAULTS mode 600')
    expect(text).not.toMatch(/PGPASSWORD=(?!unset)/)
  })
})
