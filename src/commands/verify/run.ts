import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { HOME_PREFIX } from '../../format/manifest.js'
import { extractArchive } from '../../archive/extract.js'
import { assertScratchSpace, unpackedBytes } from '../../archive/scratch-space.js'
import type { BackupArchive } from '../../archive/backup-archive.js'
import { verifyArchive } from '../../archive/verify.js'
import { restoreDatabase } from '../../database/index.js'
import { DEFAULT_SERVER_CONFIG } from '../../home/index.js'
import type { HomeInfo } from '../../home/types.js'
import type { JobResult } from '../../report/job-result.js'
import { prepareDatabaseRestores } from '../database-targets.js'
import { refuseScriptedDump } from './dump-scan.js'
import { fetchAndOpenBackup } from '../fetch-backup.js'
import { tempRoot, threadCount } from '../../settings/derived.js'
import { Output } from '../../settings/inputs.js'
import type { Settings } from '../../settings/settings.js'
import type { Logger } from '../../shared/logger.js'
import { currentRunFolder, makePrivateTempDir } from '../../shared/private-files.js'
import { formatBytes, formatDuration, Progress } from '../../shared/progress.js'
import { Input } from '../../shared/io-names.js'
import { createStorage } from '../../storage/index.js'
import { checkBackupAge, formatAge } from './freshness.js'

/**
 * Verify: prove a backup restorable without touching any home. Every entry is read and checked against the
 * manifest; the home is unpacked into a scratch folder; dumps are restored into the scratch databases the database
 * inputs name (and only those: the backup's own config is never used, so production is never touched).
 */
export async function verifyCommand(settings: Settings, logger: Logger): Promise<JobResult> {
  const started = Date.now()
  const threads = threadCount(settings)
  const workDir = await makePrivateTempDir('verify-', currentRunFolder() ?? tempRoot(settings))
  let archive: BackupArchive | null = null
  try {
    // Before anything is downloaded; a backup that is too old is still verified, and the job fails after.
    const maxAge = settings.rotation.maxAgeSeconds
    const age =
      maxAge === null
        ? null
        : await checkBackupAge(
            await createStorage(settings.storage, logger),
            settings.storage.namePrefix,
            maxAge,
            logger
          )
    const opened = await fetchAndOpenBackup(settings, workDir, logger)
    const { fetched } = opened
    archive = opened.archive
    const { manifest } = archive
    const checks: [string, string, string][] = [
      ['Structure', 'manifest, entry names, sizes, links', 'ok'],
      ['Stored file', fetched.encrypted ? 'digest, then age authentication' : 'digest', 'ok']
    ]
    const homeBytes = manifest.files.rowsUnder(HOME_PREFIX).reduce((n, row) => n + manifest.files.size(row), 0)
    const dumps = manifest.databases.filter(d => d.dump && !d.embedded)
    const scratchRoles = dumps.filter(d => d.roles.some(r => settings.database[r].url))
    await assertScratchSpace(
      workDir,
      unpackedBytes(archive.entries, [HOME_PREFIX, ...scratchRoles.map(d => d.dump!.prefix)]),
      "free space there, or point RUNNER_TEMP (the action) or TMPDIR (the CLI) at a bigger disk; 'path' only says where backups are stored."
    )
    const unpacked = await logger.group('Unpack the home into a scratch folder', async () => {
      const progress = new Progress('Unpacked', homeBytes, logger)
      const counts = await extractArchive(archive!, {
        prefix: HOME_PREFIX,
        dest: path.join(workDir, 'home'),
        threads,
        progress
      })
      progress.finish()
      // The group closes with the counts the summary shows, however small the home.
      logger.info(`Unpacked ${describeUnpacked(counts)} (${formatBytes(counts.bytes)}) into a scratch folder.`)
      return counts
    })
    checks.push(['Home', `${describeUnpacked(unpacked)} unpacked`, `ok (${formatBytes(unpacked.bytes)})`])

    for (const record of dumps.filter(d => !scratchRoles.includes(d))) {
      const report = await verifyArchive(archive, { prefixes: [record.dump!.prefix], threads })
      await refuseScriptedDump(archive, record)
      checks.push([
        `${record.roles.join('+')} dump`,
        `${record.dump!.format}, checked byte for byte`,
        `ok (${formatBytes(report.bytes)})`
      ])
    }
    if (scratchRoles.length > 0) {
      // Only the inputs name the targets: an empty config, so nothing can fall back to the production database.
      const inputsOnly: HomeInfo = {
        path: workDir,
        server: DEFAULT_SERVER_CONFIG,
        databases: {},
        version: manifest.home.xlReleaseVersion,
        era: manifest.home.era,
        folders: [],
        configFilesRead: []
      }
      const targets = await prepareDatabaseRestores({
        archive,
        configHome: inputsOnly,
        settings: settings.database,
        workDir,
        threads,
        logger,
        records: scratchRoles
      })
      for (const t of targets) {
        await logger.group(`Restore the ${t.record.roles.join('+')} dump into the scratch database`, async () =>
          restoreDatabase(t.target, t.dumpDir, t.record, {
            jobs: settings.database.jobs,
            restoreCommand: settings.database.restoreCommand,
            createIfMissing: settings.restore.createDatabase,
            allowForeignTarget: settings.restore.allowForeignDatabase,
            dumpVerified: true,
            logger
          })
        )
        checks.push([`${t.record.roles.join('+')} dump`, `restored into ${t.target.database ?? t.target.url}`, 'ok'])
      }
    }
    const seconds = (Date.now() - started) / 1000
    return {
      mode: 'verify',
      outputs: {
        [Output.Verified]: 'true',
        [Output.BackupName]: fetched.found.name,
        [Output.BackupSize]: String(fetched.storedBytes),
        [Output.XlReleaseVersion]: manifest.home.xlReleaseVersion ?? '',
        [Output.DurationSeconds]: seconds.toFixed(1),
        ...(age ? { [Output.BackupAgeSeconds]: String(age.ageSeconds) } : {})
      },
      ...(age?.tooOld ? { failure: age.tooOld } : {}),
      summary: {
        title: `Backup ${fetched.found.name} verified`,
        facts: [
          ['Made', `${manifest.createdAt} on ${manifest.host} from ${manifest.home.path}`],
          ['XL Release version', manifest.home.xlReleaseVersion ?? 'unknown'],
          ['Home', describeUnpacked(unpacked)],
          ['Entries in the manifest', String(manifest.files.length)],
          ['Encrypted', fetched.encrypted ? 'yes (age)' : 'no'],
          ...(age
            ? ([
                [
                  'Newest backup',
                  `${age.name}, ${formatAge(age.ageSeconds)} old (${age.tooOld ? 'TOO OLD' : 'within'} '${Input.MaxAge}')`
                ]
              ] as [string, string][])
            : []),
          ['Duration', formatDuration(seconds)]
        ],
        tables: [{ caption: 'Checks', header: ['What', 'How', 'Result'], rows: checks }],
        notes:
          dumps.length > scratchRoles.length
            ? [
                `Dumps were checked byte for byte but not loaded: set '${Input.DatabaseUrl}' / '${Input.ArchiveDatabaseUrl}' to scratch databases to load them too.`
              ]
            : []
      }
    }
  } finally {
    await archive?.close()
    await rm(workDir, { recursive: true, force: true })
  }
}

/** In the terms of the progress lines, which count a link as a file: the log and the summary give the same number. */
function describeUnpacked(counts: { files: number; directories: number; symlinks: number }): string {
  return `${counts.files + counts.symlinks} files (${counts.symlinks} of them links), ${counts.directories} folders`
}
