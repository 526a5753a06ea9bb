import { mkdir, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { HOME_PREFIX } from '../../format/manifest.js'
import { extractArchive } from '../../archive/extract.js'
import { assertScratchSpace, unpackedBytes } from '../../archive/scratch-space.js'
import type { BackupArchive } from '../../archive/backup-archive.js'
import { verifyArchive } from '../../archive/verify.js'
import { checkServer, describeFindings, withServerStopped } from '../../guard/index.js'
import { pointConfDirAtDatabases, readHome } from '../../home/index.js'
import type { HomeInfo } from '../../home/types.js'
import type { JobResult } from '../../report/job-result.js'
import {
  backupTopLevel,
  checkRestoreBeforeStop,
  findInterruptedRestores,
  runRestore,
  selectComponents,
  type RestoreDeps,
  type RestoreRequest,
  type RestoreResult
} from '../../restore-engine/index.js'
import { ArchiveExtractor } from './archive-extractor.js'
import { ToolDatabaseRestorer } from './database-restorer.js'
import { prepareDatabaseRestores } from '../database-targets.js'
import { checkDrillTargets, redirectedRoles } from './drill-targets.js'
import { checkVersions, readTargetHome } from './target-home.js'
import { restoreResult } from './restore-result.js'
import { chainConfRewrites, planMaintenanceMode } from './maintenance-mode.js'
import { checkKeystoreCoherence } from './keystore-coherence.js'
import { planOwners, withOwners } from './restore-owners.js'
import { fetchAndOpenBackup } from '../fetch-backup.js'
import { serverControl, tempRoot, threadCount } from '../../settings/derived.js'
import { Input } from '../../settings/inputs.js'
import type { Settings } from '../../settings/settings.js'
import { InputError } from '../../shared/errors.js'
import type { PendingCheck } from '../../shared/pending-check.js'
import type { Logger } from '../../shared/logger.js'
import { currentRunFolder, makePrivateTempDir } from '../../shared/private-files.js'
import { Progress } from '../../shared/progress.js'
import { cancellation } from '../../lifecycle/cancel.js'
import { runState } from '../../lifecycle/run-state.js'
import { redactJdbcUrl } from '../../shared/jdbc-redact.js'
import { assertClusterDown } from '../../guard/cluster.js'
import { PhaseClock } from '../startup-time.js'

/**
 * Restore: fetch, decrypt and open the backup; check it, the versions, the databases and the tools; then, with the
 * server stopped, let the engine stage, swap and (on any failure) roll back. Every entry is checked before the
 * home changes: what the engine unpacks is checked as it is staged, the rest here.
 */
export async function restoreCommand(settings: Settings, logger: Logger): Promise<JobResult> {
  const started = Date.now()
  const current = await readTargetHome(settings.home, logger)
  const dryRun = settings.restore.dryRun
  await assertClusterDown(current, settings.server.clusterNodes, 'restore', logger, { warnOnly: dryRun })
  const clock = new PhaseClock()
  const threads = threadCount(settings)
  const workDir = await makePrivateTempDir('restore-', currentRunFolder() ?? tempRoot(settings))
  let archive: BackupArchive | null = null
  let extractor: ArchiveExtractor | null = null
  let digest: PendingCheck | null = null
  try {
    // A backup read in place is hashed as a whole while it is checked and staged; the engine waits for that digest
    // before its first swap.
    const opened = await fetchAndOpenBackup(settings, workDir, logger, { digestLater: true })
    clock.mark('fetch')
    const { fetched } = opened
    digest = fetched.digest
    archive = opened.archive
    const { manifest } = archive
    const hasDumps = settings.database.mode !== 'none' && manifest.databases.some(d => d.dump && !d.embedded)
    const components = selectComponents(settings.restore.components, backupTopLevel(manifest.files), hasDumps, logger)
    const homeNames = components.filter(c => c.kind === 'home').map(c => c.name)
    const withDatabases = components.some(c => c.kind === 'databases')
    // The backup's conf and the dumps are unpacked into the work folder (the home's own files go to its staging).
    const scratch = [
      ...(homeNames.includes('conf') ? [`${HOME_PREFIX}conf/`] : []),
      ...(withDatabases ? manifest.databases.flatMap(d => (d.dump && !d.embedded ? [d.dump.prefix] : [])) : [])
    ]
    if (scratch.length > 0) {
      await assertScratchSpace(
        workDir,
        unpackedBytes(archive.entries, scratch),
        "free space there, or point RUNNER_TEMP (the action) or TMPDIR (the CLI) at a bigger disk; 'path' only says where backups are stored."
      )
    }
    checkVersions(
      manifest,
      current,
      settings.restore.components === 'all',
      settings.restore.allowVersionMismatch,
      logger
    )

    await logger.group('Check the backup', async () => {
      // A dry run unpacks nothing, so it reads everything; a restore checks here what it will not unpack.
      const prefixes = settings.restore.dryRun ? undefined : notUnpacked(archive!, homeNames, withDatabases)
      if (prefixes && prefixes.length === 0) return
      const progress = new Progress('Checked', null, logger)
      const report = await verifyArchive(archive!, { prefixes, threads, progress })
      logger.info(`Checked ${report.entries} entries (${report.bytes} bytes) against the manifest.`)
    })

    const configHome = homeNames.includes('conf') ? await readBackupConf(archive, workDir, threads, logger) : current
    let dbTargets: Awaited<ReturnType<typeof prepareDatabaseRestores>> = []
    // Rolling back (or finishing) an earlier interrupted restore that was overwriting a database needs the database
    // restorer even when this run's components leave the databases out; the plan still restores only what they say.
    const interruptedDatabases =
      hasDumps &&
      current !== null &&
      settings.restore.interrupted !== '' &&
      (await findInterruptedRestores(settings.home)).some(u => u.journal.databases.length > 0)
    checkDrillTargets({
      manifest,
      configHome,
      settings: settings.database,
      restoresDatabases: withDatabases,
      confRestored: homeNames.includes('conf'),
      logger
    })
    if (withDatabases || interruptedDatabases) {
      if (!configHome) {
        throw new InputError(
          Input.DatabaseUrl,
          `The home ${settings.home} is new and 'conf' is not restored, so no configuration names the databases to restore into: set '${Input.DatabaseUrl}' (and '${Input.ArchiveDatabaseUrl}'), or restore 'conf' too.`
        )
      }
      dbTargets = await logger.group('Prepare the databases', async () =>
        prepareDatabaseRestores({
          archive: archive!,
          configHome,
          settings: settings.database,
          workDir,
          threads,
          logger
        })
      )
    }
    const keystore = await checkKeystoreCoherence({
      manifest,
      targetHome: current ? settings.home : null,
      confRestored: homeNames.includes('conf'),
      databasesRestored: withDatabases,
      allowMismatch: settings.restore.allowKeystoreMismatch,
      logger
    })
    const owners = await planOwners(manifest, settings.restore.owner, logger)
    logger.info(`The restored files will be owned by ${owners.description}.`)
    const maintenance = planMaintenanceMode(settings, configHome, homeNames.includes('conf'), logger)
    const rewriteConf = chainConfRewrites(
      drillRewrite(settings, configHome, homeNames.includes('conf'), manifest.home.era, logger),
      maintenance.rewrite
    )

    const newHome = current ? null : path.resolve(settings.home)
    const unpacker = new ArchiveExtractor(archive, threads, logger)
    extractor = unpacker
    const request: RestoreRequest = {
      home: settings.home,
      backup: { name: fetched.found.name, manifest },
      components,
      previousPath: settings.restore.previousPath,
      safetyDump: settings.restore.safetyDump,
      resetIndexes: settings.restore.resetIndexes,
      interrupted: settings.restore.interrupted,
      dryRun: settings.restore.dryRun
    }
    const engineDeps: RestoreDeps = {
      extractor: withOwners(unpacker, manifest.files, owners, newHome),
      databases:
        dbTargets.length > 0
          ? new ToolDatabaseRestorer(
              dbTargets,
              settings.database,
              {
                createIfMissing: settings.restore.createDatabase,
                allowForeignTarget: settings.restore.allowForeignDatabase
              },
              logger
            )
          : null,
      logger,
      rewriteConf,
      beforeSwaps: () => fetched.digest.result(),
      onStep: (_step, journal) => {
        runState.trackRestore(journal)
        // A cancel stops the restore at its next step while it stages or swaps; the engine then rolls back
        // what it did, so the home is as before (a rollback itself is never interrupted).
        if (journal.state === 'staging' || journal.state === 'swapping') cancellation.throwIfCancelled()
      }
    }
    const engine = (): Promise<RestoreResult> =>
      runRestore(request, engineDeps).finally(() => runState.trackRestore(null))
    let result: RestoreResult
    clock.mark('verify')
    if (!current) {
      result = await engine()
    } else if (settings.restore.dryRun) {
      const report = await checkServer(current, { port: settings.server.port ?? undefined, purpose: 'restore' }, logger)
      if (report.running) {
        logger.warning(
          `Dry run: XL Release is running now; the restore would ${settings.server.stopCommand ? "stop it with '${Input.StopCommand}'" : 'be refused'}:\n${describeFindings(report.findings.filter(f => f.blocking))}`
        )
      }
      result = await engine()
      await digest.result()
    } else {
      result = await withServerStopped(
        current,
        serverControl(settings),
        {
          port: settings.server.port ?? undefined,
          purpose: 'restore',
          onHealthy: clock.healthy,
          // A running server is stopped only once the backup file has matched its digest and the restore has
          // been planned: what can refuse it refuses it while the server still serves.
          beforeStop: async () => {
            await fetched.digest.result()
            await checkRestoreBeforeStop(request, engineDeps)
          }
        },
        logger,
        engine
      )
    }
    clock.mark('restore')
    const summary = restoreResult({
      settings,
      manifest,
      name: fetched.found.name,
      result,
      seconds: (Date.now() - started) / 1000,
      facts: [
        ['Owner of the restored files', owners.description],
        ['Keystore', keystore],
        ['Maintenance mode', maintenance.status]
      ]
    })
    return clock.addTo(summary, dryRun ? undefined : 'Recovery time')
  } catch (error) {
    // A file that does not match its digest is reported as that, whatever its damage broke first: as when the
    // digest was checked before anything else.
    await digest?.result()
    throw error
  } finally {
    await extractor?.close()
    await archive?.close()
    await rm(workDir, { recursive: true, force: true })
  }
}

/** Prefixes of the entries the engine will not unpack (so they are checked here instead). */
function notUnpacked(archive: BackupArchive, homeNames: string[], withDatabases: boolean): string[] {
  const unpacked = new Set(homeNames)
  const prefixes = new Set<string>()
  for (const entry of archive.entries) {
    if (entry.name.startsWith(HOME_PREFIX)) {
      const rest = entry.name.slice(HOME_PREFIX.length)
      if (rest === '') continue
      const top = rest.split('/')[0]
      if (!unpacked.has(top)) prefixes.add(rest.includes('/') ? `${HOME_PREFIX}${top}/` : entry.name)
    } else if (!withDatabases) {
      prefixes.add(entry.name)
    }
  }
  return [...prefixes]
}

/** The backup's conf/, unpacked (and checked) into a scratch home, read for the databases it names. */
async function readBackupConf(
  archive: BackupArchive,
  workDir: string,
  threads: number,
  logger: Logger
): Promise<HomeInfo> {
  const scratch = path.join(workDir, 'backup-home')
  await mkdir(scratch, { mode: 0o700 })
  await extractArchive(archive, {
    prefix: `${HOME_PREFIX}conf/`,
    dest: path.join(scratch, 'conf'),
    threads,
    linkRoot: HOME_PREFIX
  })
  return await readHome(scratch, logger)
}

/**
 * Restore drills: when a database input names another database than the restored conf does, the staged conf is
 * pointed at it, so the drill server can never reach the production database.
 */
function drillRewrite(
  settings: Settings,
  configHome: HomeInfo | null,
  confRestored: boolean,
  era: HomeInfo['era'],
  logger: Logger
): ((dir: string) => Promise<void>) | undefined {
  const moved = redirectedRoles(settings.database, configHome)
  if (moved.length === 0) return undefined
  if (!confRestored) {
    logger.warning(
      `The database inputs name other databases than the home's conf/ does (${moved.join(', ')}), and conf is not restored: the server will still use what conf/xl-release.conf says.`
    )
    return undefined
  }
  return async (stagedConfDir: string) => {
    const drill = Object.fromEntries(
      moved.map(role => [role, { ...settings.database[role], url: settings.database[role].url! }])
    )
    const changed = await pointConfDirAtDatabases(stagedConfDir, drill, era, logger)
    logger.info(
      `Restore drill: the restored ${changed.join(', ')} now point${changed.length === 1 ? 's' : ''} the ${moved.join(' and ')} database at ${moved.map(r => redactJdbcUrl(settings.database[r].url ?? '')).join(' and ')}, never at the backed-up server's.`
    )
  }
}
