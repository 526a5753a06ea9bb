/**
 * Measures the action's PostgreSQL dump and restore against pg_dump/pg_restore run directly, in the same run, on a
 * generated database of a few hundred MB (BENCH_DB_MB, default 250). Needs PostgreSQL on 127.0.0.1:5432 (user
 * postgres, trust) and drops everything it creates.
 *
 *   npx tsx scripts/bench-database.ts
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { dumpDatabase, resolveDatabases, restoreDatabase, type DatabaseTarget } from '../src/database/index.js'
import type { DatabaseRecord } from '../src/format/manifest.js'
import type { HomeInfo } from '../src/home/types.js'
import { MemoryLogger } from '../src/shared/logger.js'

const HOST = '127.0.0.1'
const PORT = 5432
const USER = 'postgres'
const TARGET_MB = Number(process.env.BENCH_DB_MB ?? 250)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TABLES = 4

const suffix = randomBytes(3).toString('hex')
const source = `bench_db_src_${suffix}`
const created: string[] = []

function psql(sql: string, database = 'postgres'): string {
  return execFileSync(
    'psql',
    [
      '-X',
      '-q',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      HOST,
      '-p',
      String(PORT),
      '-U',
      USER,
      '-d',
      database,
      '-f',
      '-'
    ],
    { input: sql, encoding: 'utf8' }
  ).trim()
}

function run(tool: string, args: string[]): void {
  execFileSync(tool, ['-h', HOST, '-p', String(PORT), '-U', USER, '--no-password', ...args], {
    stdio: ['ignore', 'ignore', 'inherit']
  })
}

function target(database: string): DatabaseTarget {
  const home: HomeInfo = {
    path: '/bench',
    server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false, serverUrl: null },
    databases: {
      repository: {
        role: 'repository',
        url: `jdbc:postgresql://${HOST}:${PORT}/${database}`,
        username: USER,
        password: null,
        driver: null,
        source: 'bench'
      }
    },
    version: null,
    era: 'sql',
    folders: [],
    configFilesRead: []
  }
  return resolveDatabases(home, { mode: 'auto', repository: {}, archive: {}, jobs: 1 }, new MemoryLogger())[0]
}

async function timed(fn: () => unknown): Promise<number> {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

function freshDb(): string {
  const name = `bench_db_r_${randomBytes(3).toString('hex')}`
  created.push(name)
  return name
}

function drop(name: string): void {
  psql(`SET client_min_messages = warning; DROP DATABASE IF EXISTS ${name} WITH (FORCE);`)
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'xlr-bench-db-'))
  created.push(source)
  try {
    // ~330 bytes per row on disk: text that compresses like real JSON-ish content, and incompressible bytes.
    const rowsPerTable = Math.round((TARGET_MB * 1024 * 1024) / TABLES / 330)
    console.log(`Creating ${source}: ${TABLES} tables x ${rowsPerTable} rows (~${TARGET_MB} MB)...`)
    psql(`CREATE DATABASE ${source};`)
    for (let t = 1; t <= TABLES; t++) {
      psql(
        `CREATE TABLE xlr_bench_${t} (id bigint PRIMARY KEY, title text, body text, content bytea);
         INSERT INTO xlr_bench_${t} SELECT i, 'Release ' || i || ' — ü',
           '{"id":"Release' || i || '","status":"' || (ARRAY['PLANNED','IN_PROGRESS','COMPLETED'])[i % 3 + 1] || '","hash":"' || md5(i::text) || md5((i * ${t})::text) || '"}',
           decode(md5((i + ${t})::text) || md5((i * 31)::text) || md5((i * 17 + ${t})::text), 'hex')
         FROM generate_series(1, ${rowsPerTable}) i;`,
        source
      )
    }
    psql('VACUUM ANALYZE;', source)
    const size = psql(`SELECT pg_size_pretty(pg_database_size('${source}'));`)
    console.log(`Database size: ${size}\n`)

    // Wrappers on PATH time the real pg_dump/pg_restore inside the action's calls: the action's own overhead is the
    // call's time minus the tool's, measured in the same call (robust against a busy machine).
    const bin = path.join(work, 'bin')
    const toolLog = path.join(work, 'tool-times.log')
    await mkdir(bin, { recursive: true })
    for (const tool of ['pg_dump', 'pg_restore']) {
      const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim()
      await writeFile(
        path.join(bin, tool),
        `#!/bin/sh\n[ "$1" = --version ] && exec ${real} --version\ns=$(date +%s.%N)\n${real} "$@"; rc=$?\n` +
          `e=$(date +%s.%N)\ncase "$*" in *--list*) ;; *) echo "$s $e" >> ${toolLog};; esac\nexit $rc\n`
      )
      await chmod(path.join(bin, tool), 0o755)
    }
    const lastToolSeconds = async () => {
      const lines = (await readFile(toolLog, 'utf8')).trim().split('\n')
      const [s, e] = lines[lines.length - 1].split(' ').map(Number)
      return e - s
    }
    const withWrappers = async <T>(fn: () => Promise<T>): Promise<T> => {
      const saved = process.env.PATH
      process.env.PATH = `${bin}:${saved}`
      try {
        return await fn()
      } finally {
        process.env.PATH = saved
      }
    }

    const results: Record<string, number[]> = {}
    const add = (k: string, v: number): void => {
      ;(results[k] ??= []).push(v)
    }
    const logger = new MemoryLogger()
    const restoreArgs = (db: string, file: string) => [
      '--clean',
      '--if-exists',
      '--no-owner',
      '--exit-on-error',
      '--single-transaction',
      '-d',
      db,
      file
    ]
    for (let round = 1; round <= ROUNDS; round++) {
      const dir = path.join(work, `r${round}`)
      await mkdir(dir, { recursive: true })
      // Each operation runs direct and through the action back to back, alternating who goes first.
      const pair = async (direct: () => Promise<void>, action: () => Promise<void>) => {
        if (round % 2 === 1) {
          await direct()
          await action()
        } else {
          await action()
          await direct()
        }
      }
      let record: DatabaseRecord | undefined
      await pair(
        async () =>
          add(
            'dump custom: pg_dump -Fc',
            await timed(() => run('pg_dump', ['-Fc', '-f', path.join(dir, 'direct.pgdump'), source]))
          ),
        async () => {
          const t = await timed(async () => {
            record = (
              await withWrappers(() => dumpDatabase(target(source), path.join(dir, 'action-c'), { jobs: 1, logger }))
            ).record
          })
          add('dump custom: action', t)
          add('dump custom: action minus its pg_dump', t - (await lastToolSeconds()))
        }
      )
      // As wired into a backup: the zip writer hashes the dump while storing it, so the dump step need not.
      await pair(
        async () =>
          add(
            'dump custom: pg_dump -Fc (2)',
            await timed(() => run('pg_dump', ['-Fc', '-f', path.join(dir, 'direct2.pgdump'), source]))
          ),
        async () => {
          const t = await timed(() =>
            withWrappers(() =>
              dumpDatabase(target(source), path.join(dir, 'action-c3'), { jobs: 1, logger, hash: false })
            )
          )
          add('dump custom: action, hash left to the zip', t)
          add('dump custom: action, hash left to the zip, minus its pg_dump', t - (await lastToolSeconds()))
        }
      )
      await pair(
        async () =>
          add(
            'dump directory -j2: pg_dump -Fd -j2',
            await timed(() => run('pg_dump', ['-Fd', '-j', '2', '-f', path.join(dir, 'direct.pgdir'), source]))
          ),
        async () => {
          const t = await timed(() =>
            withWrappers(() => dumpDatabase(target(source), path.join(dir, 'action-d'), { jobs: 2, logger }))
          )
          add('dump directory -j2: action', t)
          add('dump directory -j2: action minus its pg_dump', t - (await lastToolSeconds()))
        }
      )
      const directDb = freshDb()
      const actionDb = freshDb()
      const actionRestore = () =>
        withWrappers(() =>
          restoreDatabase(target(actionDb), path.join(dir, 'action-c'), record!, {
            jobs: 1,
            createIfMissing: true,
            allowForeignTarget: false,
            logger
          })
        )
      await pair(
        async () =>
          add(
            'restore into new db: createdb + pg_restore',
            await timed(() => {
              psql(`CREATE DATABASE ${directDb};`)
              run('pg_restore', restoreArgs(directDb, path.join(dir, 'direct.pgdump')))
            })
          ),
        async () => {
          const t = await timed(actionRestore)
          add('restore into new db: action', t)
          add('restore into new db: action minus its pg_restore', t - (await lastToolSeconds()))
        }
      )
      await pair(
        async () =>
          add(
            'restore over existing db: pg_restore --clean',
            await timed(() => run('pg_restore', restoreArgs(directDb, path.join(dir, 'direct.pgdump'))))
          ),
        async () => {
          const t = await timed(actionRestore)
          add('restore over existing db: action', t)
          add('restore over existing db: action minus its pg_restore', t - (await lastToolSeconds()))
        }
      )
      // As wired into a restore: the zip reader has checked the dump's SHA-256 while extracting it.
      await pair(
        async () =>
          add(
            'restore over existing db: pg_restore --clean (2)',
            await timed(() => run('pg_restore', restoreArgs(directDb, path.join(dir, 'direct.pgdump'))))
          ),
        async () => {
          const t = await timed(() =>
            withWrappers(() =>
              restoreDatabase(target(actionDb), path.join(dir, 'action-c'), record!, {
                jobs: 1,
                createIfMissing: true,
                allowForeignTarget: false,
                logger,
                dumpVerified: true
              })
            )
          )
          add('restore over existing db: action, dump verified by the zip', t)
          add(
            'restore over existing db: action, dump verified by the zip, minus its pg_restore',
            t - (await lastToolSeconds())
          )
        }
      )
      drop(directDb)
      drop(actionDb)
      await rm(dir, { recursive: true, force: true })
    }

    const sorted = (k: string) => [...results[k]].sort((a, b) => a - b)
    const median = (k: string) => {
      const v = sorted(k)
      return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
    }
    console.log('| operation | median s | best s | all rounds s |\n| --- | ---: | ---: | --- |')
    for (const k of Object.keys(results))
      console.log(
        `| ${k} | ${median(k).toFixed(2)} | ${sorted(k)[0].toFixed(2)} | ${results[k].map(v => v.toFixed(2)).join(' / ')} |`
      )
    const line = (label: string, action: string, direct: string, own: string) =>
      console.log(
        `${label.padEnd(30)} A/B median ${(median(action) / median(direct)).toFixed(3)}, best ${(sorted(action)[0] / sorted(direct)[0]).toFixed(3)}; ` +
          `own overhead ${((100 * median(own)) / median(direct)).toFixed(1)}% of the direct time`
      )
    console.log()
    line('dump custom', 'dump custom: action', 'dump custom: pg_dump -Fc', 'dump custom: action minus its pg_dump')
    line(
      'dump directory -j2',
      'dump directory -j2: action',
      'dump directory -j2: pg_dump -Fd -j2',
      'dump directory -j2: action minus its pg_dump'
    )
    line(
      'restore into new db',
      'restore into new db: action',
      'restore into new db: createdb + pg_restore',
      'restore into new db: action minus its pg_restore'
    )
    line(
      'restore over existing db',
      'restore over existing db: action',
      'restore over existing db: pg_restore --clean',
      'restore over existing db: action minus its pg_restore'
    )
    line(
      'dump custom, no re-hash',
      'dump custom: action, hash left to the zip',
      'dump custom: pg_dump -Fc (2)',
      'dump custom: action, hash left to the zip, minus its pg_dump'
    )
    line(
      'restore existing, verified',
      'restore over existing db: action, dump verified by the zip',
      'restore over existing db: pg_restore --clean (2)',
      'restore over existing db: action, dump verified by the zip, minus its pg_restore'
    )
    console.log(
      `action dump, jobs=2 directory / custom single job: ${(median('dump directory -j2: action') / median('dump custom: action')).toFixed(3)} (median)`
    )
  } finally {
    for (const db of created) drop(db)
    await rm(work, { recursive: true, force: true })
  }
}

main().catch(e => {
  console.error(e)
  process.exitCode = 1
})
