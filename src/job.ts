import type { Logger } from './shared/logger.js'
import type { Settings } from './settings/settings.js'
import type { JobResult } from './report/job-result.js'
import { backupCommand } from './commands/backup/run.js'
import { restoreCommand } from './commands/restore/run.js'
import { verifyCommand } from './commands/verify/run.js'
import { pruneCommand } from './commands/prune/run.js'
import { withRunFolder } from './lifecycle/run-folder.js'
import { withHomeLock } from './lifecycle/home-lock.js'
import { tempRoot } from './settings/derived.js'

/**
 * The core both front ends call: one settings object in, one result out, errors thrown as XlrBackupError. A backup
 * or restore first takes the home's lock (one run at a time per home); verify and prune read only the backups (and
 * verify its scratch folders), never a home, so they take none and may run beside them. Every temporary file of the job lives in one
 * private run folder, removed when the job ends.
 */
export async function runJob(settings: Settings, logger: Logger): Promise<JobResult> {
  const inRunFolder = (command: () => Promise<JobResult>): Promise<JobResult> =>
    withRunFolder(tempRoot(settings), logger, command)
  switch (settings.mode) {
    case 'backup':
      return await withHomeLock(settings.home, { purpose: 'backup', createHome: false }, logger, () =>
        inRunFolder(() => backupCommand(settings, logger))
      )
    case 'restore':
      return await withHomeLock(settings.home, { purpose: 'restore', createHome: true }, logger, () =>
        inRunFolder(() => restoreCommand(settings, logger))
      )
    case 'verify':
      return await inRunFolder(() => verifyCommand(settings, logger))
    case 'prune':
      return await inRunFolder(() => pruneCommand(settings, logger))
  }
}
