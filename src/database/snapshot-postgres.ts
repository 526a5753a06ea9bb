import { spawn } from 'node:child_process'
import { toolEnv } from '../shared/child-env.js'
import { DatabaseError } from '../shared/errors.js'
import { withPgEnv } from './credentials.js'
import { toolFailure } from './failures.js'
import { findPgTool } from './postgres.js'
import { describe } from './resolve.js'
import type { DatabaseTarget } from './types.js'

/** A database moment held open: dumps given `id` see exactly it until `release`. */
export interface HeldSnapshot {
  id: string
  release(): Promise<void>
}

const EXPORT_TIMEOUT_MS = 60_000
/** pg_export_snapshot()'s identifiers: '00000003-0000001B-1' (hex virtual transaction id, then a counter). */
const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+(?:-\d+)?$/

/**
 * Opens a REPEATABLE READ transaction on `target` and exports its snapshot, for `pg_dump --snapshot` to dump that
 * moment later. The transaction lives in a `psql` kept running with its stdin open (the vendor's client, which the
 * runner already has for every other PostgreSQL step, rather than a driver only this step would need): the snapshot
 * stays importable exactly as long as that session stays in the transaction, so `release` commits it only once the
 * dump is done. The password reaches psql as every other libpq tool gets it (a 0600 PGPASSFILE), read at connect.
 */
export async function holdPgSnapshot(target: DatabaseTarget): Promise<HeldSnapshot> {
  const psql = await findPgTool('psql', target)
  return await withPgEnv(target, target.database, async env => {
    const child = spawn(psql.path, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'], {
      env: toolEnv(env),
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-16384)))
    const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>(resolve => {
      child.on('error', e => {
        stderr += `\n${e.message}`
        resolve({ exitCode: -1, signal: null })
      })
      child.on('close', (exitCode, signal) => resolve({ exitCode, signal }))
    })
    // A psql that exits early closes its stdin; the exit reports why.
    child.stdin.on('error', () => undefined)
    const failed = (action: string, run: { exitCode: number | null }): DatabaseError =>
      toolFailure(target, 'psql', action, { exitCode: run.exitCode, stdout: '', stderr })
    const id = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(
          new DatabaseError(
            `psql did not export a snapshot of the ${describe(target)} database within ${EXPORT_TIMEOUT_MS / 1000} s.`
          )
        )
      }, EXPORT_TIMEOUT_MS)
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString('utf8')
        const line = stdout.split('\n').find(l => SNAPSHOT_ID.test(l.trim()))
        if (line) {
          clearTimeout(timer)
          resolve(line.trim())
        }
      })
      void exited.then(run => {
        clearTimeout(timer)
        reject(failed('exporting a snapshot of', run))
      })
      child.stdin.write('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSELECT pg_export_snapshot();\n')
    })
    let released: Promise<void> | null = null
    const release = (): Promise<void> =>
      (released ??= (async () => {
        child.stdin.end('COMMIT;\n')
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(kill)
      })())
    return { id, release }
  })
}
