import * as path from 'node:path'
import { rm } from 'node:fs/promises'
import type { Logger } from '../../shared/logger.js'
import type { Settings } from '../../settings/settings.js'
import type { JobResult } from '../../report/job-result.js'
import { readHome } from '../../home/index.js'
import { checkServer, withServerStopped } from '../../guard/index.js'
import { resolveDatabases, preflight, dumpDatabase } from '../../database/index.js'
import { baseRecord } from '../../database/dump.js'
import { checkEmbeddedDatabases } from './embedded-databases.js'
import type { DumpResult } from '../../database/types.js'
import { createStorage, warnIfCacheForSchedule } from '../../storage/index.js'
import { encryptionEnabled, checkEncryptionSettings } from '../../crypto/index.js'
import { EncryptionError } from '../../shared/errors.js'
import { Input } from '../../settings/inputs.js'
import { currentRunFolder, makePrivateTempDir } from '../../shared/private-files.js'
import { WORK_DIR_PREFIX } from '../../format/restore-work-dir.js'
import { HOME_LOCK_NAME } from '../../format/home-lock-name.js'
import { writeBackupFile, type HomeSource, type WrittenBackup } from './write-backup-file.js'
import { backupResult } from './backup-result.js'
import { serverControl, tempRoot, threadCount } from '../../settings/derived.js'
import { companionName, makeCompanion } from '../../signing/companion.js'
import { cancellation } from '../../lifecycle/cancel.js'
import { storageExclusion } from './storage-exclusion.js'
import { assertClusterDown } from '../../guard/cluster.js'
import { PhaseClock } from '../startup-time.js'
import { rotateAfterBackup } from '../rotate.js'
import { SNAPSHOT_DIR_PREFIX } from '../../format/snapshot-dir.js'
import { planMinimalDowntime, type CapturedMoment, type DumpOne, type MinimalDowntime } from './downtime.js'
import { logDowntime } from './downtime-log.js'
import { recordKeystore } from './record-keystore.js'

/**
 * Backup: read the home and check storage, keys, databases and tools while the server still runs (a mistake then
 * costs no outage); stop the server or prove it stopped; dump the databases and write the ZIP; start the server
 * again; only then publish (upload) the finished file.
 */
export async function backupCommand(settings: Settings, logger: Logger): Promise<JobResult> {
  const started = Date.now()
  const home = await readHome(settings.home, logger)
  logger.info(`XL Release home ${home.path}: version ${home.version ?? 'unknown'}, ${home.era} era.`)
  await assertClusterDown(home, settings.server.clusterNodes, 'backup', logger)
  const clock = new PhaseClock()
  const storage = await createStorage(settings.storage, logger)
  warnIfCacheForSchedule(settings.storage.kind, logger)
  await storage.preflight?.(logger)
  const encrypt = encryptionEnabled(settings.encryption)
  if (encrypt) checkEncryptionSettings(settings.encryption)
  else if (settings.requireEncryption) {
    throw new EncryptionError(
      `'${Input.RequireEncryption}' is true but no key is given: set '${Input.EncryptionRecipients}' (age public keys) or '${Input.EncryptionPassphrase}'.`
    )
  }
  const targets = settings.database.mode === 'none' ? [] : resolveDatabases(home, settings.database, logger)
  for (const note of await checkEmbeddedDatabases(home, targets)) logger.info(note)
  await preflight(targets, settings.database, logger, 'backup')

  // What earlier restores replaced is kept in the home until the user deletes it: it is not part of the server.
  const exclude = [...settings.backup.exclude, `${WORK_DIR_PREFIX}*/`, `${HOME_LOCK_NAME}*`, `${SNAPSHOT_DIR_PREFIX}*/`]
  const storageInHome = settings.storage.path ? await storageExclusion(home.path, settings.storage.path) : null
  if (storageInHome) {
    exclude.push(storageInHome)
    logger.info(
      `Input 'path' (${settings.storage.path}) lies inside the home: its folder ${storageInHome} is left out of the ` +
        'backup, so backups do not nest into each other.'
    )
  }
  await storage.removeStalePartials?.(logger)
  const fileName = `${settings.storage.name}.zip${encrypt ? '.age' : ''}`
  const workDir = await makePrivateTempDir('backup-', currentRunFolder() ?? tempRoot(settings))
  let staged: string | null = null
  let minimal: MinimalDowntime | null = null
  let moment: CapturedMoment | null = null
  try {
    // The destination is tried before the server stops: a wrong 'path' must not cost an outage.
    staged = await storage.stagingPath(fileName)
    const stagedFile: string = staged
    const guard = { port: settings.server.port ?? undefined }
    minimal = await planMinimalDowntime({
      settings,
      home,
      targets,
      exclude,
      serverRunning: async () => (await checkServer(home, guard, logger)).running,
      logger
    })
    let downAt: number | null = null
    let startingAt: number | null = null
    const outage = { down: () => (downAt = Date.now()), starting: () => (startingAt = Date.now()) }
    const dumpOne: DumpOne = async (target, snapshot) => {
      const role = target.roles.join('+')
      return await logger.group(`Dump the ${role} database (${target.engine})`, async () =>
        dumpDatabase(target, path.join(workDir, role), {
          jobs: settings.database.jobs,
          backupCommand: settings.database.backupCommand,
          // The archive hashes every dump file as it writes it: no second read here.
          hash: false,
          ...snapshot,
          logger
        })
      )
    }
    const write = async (dumps: DumpResult[], homeSource?: HomeSource): Promise<WrittenBackup> => {
      // The key to the secrets the dumps hold, as it was at the stop: in the home while it is stopped, else in
      // the snapshot of that moment.
      await recordKeystore(homeSource?.root ?? home.path, dumps, logger)
      return await logger.group('Write the backup file', async () =>
        writeBackupFile({
          home,
          dumps,
          embedded: targets.filter(t => t.embedded).map(baseRecord),
          file: stagedFile,
          workDir,
          compressionLevel: settings.backup.compressionLevel,
          threads: threadCount(settings),
          exclude,
          encryption: encrypt ? settings.encryption : null,
          logger,
          homeSource
        })
      )
    }
    const dumpAndWrite = async (): Promise<WrittenBackup> => {
      const dumps: DumpResult[] = []
      for (const target of targets.filter(t => !t.embedded)) dumps.push(await dumpOne(target))
      return await write(dumps)
    }
    const written: WrittenBackup = await withServerStopped(
      home,
      serverControl(settings),
      { ...guard, purpose: 'backup', outage, onHealthy: clock.healthy },
      logger,
      // A cancel abandons the backup at once (its file is discarded), so the server can be started again.
      async () =>
        cancellation.race(
          minimal && downAt !== null ? minimal.capture(dumpOne).then(m => (moment = m) && null) : dumpAndWrite()
        )
    ).then(async inWindow => inWindow ?? (await cancellation.race(moment!.finish(write))))
    const signature = signBackup(settings, fileName, written, logger)
    const published = await logger.group(`Store the backup (${settings.storage.kind})`, async () =>
      storage.publish(
        stagedFile,
        fileName,
        logger,
        { sha256: written.sha256, size: written.size, createdAt: written.manifest.createdAt },
        signature
      )
    )
    staged = null
    const downtimeSeconds = downAt === null ? null : ((startingAt ?? Date.now()) - downAt) / 1000
    const seconds = (Date.now() - started) / 1000
    const downtimeMode = moment ? 'minimal' : 'full'
    logDowntime(logger, downtimeSeconds, seconds, downtimeMode)
    const result = clock.addTo(backupResult({ settings, written, published, seconds, downtimeSeconds, downtimeMode }))
    return await rotateAfterBackup(storage, settings, published.name, result, logger)
  } finally {
    await (moment as CapturedMoment | null)?.release()
    await (minimal as MinimalDowntime | null)?.remove()
    if (staged) await storage.discard(staged)
    await rm(workDir, { recursive: true, force: true })
  }
}

/** The companion text ('<file>.sig') when 'signing-key' is set: the statement of the file and manifest, signed. */
function signBackup(settings: Settings, fileName: string, written: WrittenBackup, logger: Logger): string | undefined {
  const key = settings.signing.key
  if (!key) return undefined
  const companion = makeCompanion(
    { file: fileName, sha256: written.sha256, manifestSha256: written.manifestSha256 },
    key
  )
  logger.info(
    `Signed ${fileName} with key ${key.fingerprint}${key.comment ? ` (${key.comment})` : ''}: ${companionName(fileName)}`
  )
  return companion
}
