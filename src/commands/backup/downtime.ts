import { ExcludeMatcher } from '../../archive/exclude.js'
import type { DatabaseTarget, DumpOptions, DumpResult } from '../../database/types.js'
import { describeDatabase } from '../../database/index.js'
import { holdPgSnapshot, type HeldSnapshot } from '../../database/snapshot-postgres.js'
import { nonTransactionalTables, startAtSnapshot } from '../../database/snapshot-mysql.js'
import type { HomeInfo } from '../../home/types.js'
import type { Settings } from '../../settings/settings.js'
import { Input } from '../../shared/io-names.js'
import type { Logger } from '../../shared/logger.js'
import { XlrBackupError } from '../../shared/errors.js'
import type { HomeSource } from './write-backup-file.js'
import { planHomeSnapshot, type HomeSnapshot, type PlannedSnapshot } from '../../snapshot/home-snapshot.js'

/** Dumps one database (into the run's folder for it); `pgSnapshot` makes PostgreSQL dump that exported moment. */
export type DumpOne = (
  target: DatabaseTarget,
  snapshot?: Pick<DumpOptions, 'pgSnapshot' | 'onSnapshotOpen'>
) => Promise<DumpResult>

/** What was captured while the server was down; `finish` turns it into dumps and a home to archive. */
export interface CapturedMoment {
  finish<T>(write: (dumps: DumpResult[], home: HomeSource) => Promise<T>): Promise<T>
  /** Ends the held database sessions and waits for dumps still running; safe to call more than once. */
  release(): Promise<void>
}

/** A 'downtime: minimal' backup, prepared before the server stops. */
export interface MinimalDowntime {
  /** Runs while the server is proven down: captures the home and the databases, then returns at once. */
  capture(dump: DumpOne): Promise<CapturedMoment>
  /** Removes the home snapshot (always, whatever happened). */
  remove(): Promise<void>
}

/**
 * Decides, before the server stops, whether this backup can keep the outage to the capture of a moment: 'downtime:
 * minimal' asked for, a 'start-command' to start the server early, a server running (a stopped one has no outage to
 * shorten, and copying its home first would only cost time and space), only transactional MySQL/MariaDB tables, and
 * a staging folder with room for the home's snapshot. Returns null ('full') and says why otherwise.
 */
export async function planMinimalDowntime(req: {
  settings: Settings
  home: HomeInfo
  targets: DatabaseTarget[]
  exclude: string[]
  /** Whether the server runs now (the guard's probes); asked before anything is copied. */
  serverRunning: () => Promise<boolean>
  logger: Logger
}): Promise<MinimalDowntime | null> {
  const { settings, logger } = req
  if (settings.backup.downtime === 'full') return null
  const fallBack = (why: string): null => {
    logger.warning(
      `'${Input.Downtime}: minimal' is not possible: ${why}. This backup keeps the server stopped until the backup ` +
        `file is written ('${Input.Downtime}: full').`
    )
    return null
  }
  if (!settings.server.startCommand) {
    logger.info(
      `No '${Input.StartCommand}' is set, so the server cannot be started before the backup file is written: ` +
        `'${Input.Downtime}: minimal' behaves as 'full'.`
    )
    return null
  }
  if (!(await req.serverRunning())) {
    // Should it start before the stop, the guard stops it and the backup runs as 'full': longer, never wrong.
    logger.info(
      `XL Release is not running, so there is no outage to shorten: the backup is written from the home itself, ` +
        `without a copy of it first ('${Input.Downtime}: full').`
    )
    return null
  }
  const dumped = req.targets.filter(t => !t.embedded)
  for (const target of dumped.filter(t => t.engine === 'mysql' || t.engine === 'mariadb')) {
    const unsafe = await nonTransactionalTables(target)
    if (unsafe.length > 0)
      return fallBack(
        `the ${describeDatabase(target)} database has tables that are not transactional, which a dump taken while ` +
          `the server runs cannot freeze: ${unsafe.join(', ')} (convert them to InnoDB)`
      )
  }
  const planned = await planHomeSnapshot(req.home.path, ExcludeMatcher.parse(req.exclude), logger)
  if ('unavailable' in planned) return fallBack(`a snapshot of the home cannot be taken: ${planned.unavailable}`)
  // A cancel abandons the capture: a copy under way is awaited before the snapshot is removed, and a capture still
  // waiting for a database (a user's command may hang) never starts its copy afterwards.
  let copying: Promise<unknown> | null = null
  let removed = false
  const take = (): Promise<HomeSnapshot> => {
    if (removed) throw new XlrBackupError('The backup was abandoned before its snapshot of the home was taken.')
    const taking = planned.take()
    copying = taking.catch(() => undefined)
    return taking
  }
  return {
    capture: dump => captureMoment(take, planned.reflink, dumped, dump, logger),
    remove: async () => {
      removed = true
      await copying
      await planned.remove()
    }
  }
}

async function captureMoment(
  take: () => Promise<HomeSnapshot>,
  reflink: PlannedSnapshot['reflink'],
  targets: DatabaseTarget[],
  dump: DumpOne,
  logger: Logger
): Promise<CapturedMoment> {
  const held = new Map<DatabaseTarget, HeldSnapshot>()
  const running = new Map<DatabaseTarget, Promise<DumpResult>>()
  const release = async (): Promise<void> => {
    await Promise.allSettled([...held.values()].map(h => h.release()))
    await Promise.allSettled(running.values())
  }
  try {
    for (const target of targets) {
      if (target.engine === 'postgresql') {
        held.set(target, await holdPgSnapshot(target))
      } else if (target.engine === 'mysql' || target.engine === 'mariadb') {
        // The dump runs on after the server is back; its snapshot must exist before the server may write.
        await startAtSnapshot(target, onSnapshotOpen => {
          const started = dump(target, { onSnapshotOpen })
          running.set(target, started)
          return started
        })
      } else {
        // Other engines have no snapshot this action can hold: the user's command runs while the server is down.
        running.set(target, dump(target))
        await running.get(target)
      }
    }
    const home = await take()
    logger.info(describeCapture(home, reflink, held.size, running.size))
    return {
      release,
      finish: async write => {
        const dumps: DumpResult[] = []
        for (const target of targets) {
          const snapshot = held.get(target)
          dumps.push(
            snapshot
              ? await dump(target, { pgSnapshot: snapshot.id }).finally(() => snapshot.release())
              : await running.get(target)!
          )
        }
        return await write(dumps, { root: home.root, recordedAs: rel => home.recorded.get(rel) })
      }
    }
  } catch (error) {
    await release()
    throw error
  }
}

function describeCapture(home: HomeSnapshot, reflink: boolean, held: number, started: number): string {
  const parts = [
    `the home (in ${home.seconds.toFixed(2)}s: ${home.checked} entries checked against the copy made before the ` +
      `stop, ${home.copied} files ${reflink ? 'cloned' : 'copied'} again, ${home.racy} of them racy, ` +
      `${home.remade} folders or links made, ${home.removed} entries removed)`,
    ...(held ? [`${held} PostgreSQL snapshot${held === 1 ? '' : 's'} held for pg_dump`] : []),
    ...(started ? [`${started} dump${started === 1 ? '' : 's'} started at the stop`] : [])
  ]
  return `Captured the moment of the stop: ${parts.join(', ')}. Starting the server before the backup file is written.`
}
