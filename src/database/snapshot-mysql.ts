import { DatabaseError } from '../shared/errors.js'
import { mysqlQuery } from './mysql.js'
import { describe } from './resolve.js'
import type { DatabaseTarget } from './types.js'

const SNAPSHOT_TIMEOUT_MS = 120_000

/**
 * Tables of the target's database that a `--single-transaction` dump cannot freeze (MyISAM, Aria, MEMORY, CSV…):
 * only InnoDB keeps a consistent snapshot, so with any other engine the dump sees writes the server makes after it
 * started again.
 */
export async function nonTransactionalTables(target: DatabaseTarget): Promise<string[]> {
  const out = await mysqlQuery(
    target,
    "SELECT CONCAT(table_name, ' (', engine, ')') FROM information_schema.tables WHERE table_schema = DATABASE() " +
      "AND table_type = 'BASE TABLE' AND UPPER(engine) <> 'INNODB' ORDER BY table_name;"
  )
  return out.split('\n').filter(l => l.trim() !== '')
}

/**
 * Starts a dump and resolves once its consistent snapshot is open (`start` calls the given callback then), or once
 * the dump has ended (it took its snapshot too). A dump that fails first rejects with its own error; the dump itself
 * runs on, for the caller to await.
 */
export async function startAtSnapshot(
  target: DatabaseTarget,
  start: (onSnapshotOpen: () => void) => Promise<unknown>
): Promise<void> {
  let opened!: () => void
  const open = new Promise<void>(resolve => (opened = resolve))
  const dump = start(() => opened())
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DatabaseError(
            `The dump of the ${describe(target)} database opened no consistent snapshot within ` +
              `${SNAPSHOT_TIMEOUT_MS / 1000} s.`
          )
        ),
      SNAPSHOT_TIMEOUT_MS
    )
  })
  try {
    await Promise.race([open, dump, timeout])
  } finally {
    clearTimeout(timer)
  }
}
