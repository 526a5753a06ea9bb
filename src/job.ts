import type { Logger } from './shared/logger.js'
import type { Settings } from './settings/settings.js'
import type { JobResult } from './report/job-result.js'
import { backupCommand } from './commands/backup/run.js'
import { restoreCommand } from './commands/restore/run.js'
import { verifyCommand } from './commands/verify/run.js'
import { pruneCommand } from './commands/prune/run.js'
import { withRunFolder } from './lifecycle/run-folder.js'
import { tempRoot } from './settings/derived.js'

/**
 * The core both front ends call: one settings object in, one result out, errors thrown as XlrBackupError. Every
 * temporary file of the job lives in one private run folder, removed when the job ends.
 */
export async function runJob(settings: Settings, logger: Logger): Promise<JobResult> {
  return await withRunFolder(tempRoot(settings), logger, async () => {
    switch (settings.mode) {
      case 'backup':
        return await backupCommand(settings, logger)
      case 'restore':
        return await restoreCommand(settings, logger)
      case 'verify':
        return await verifyCommand(settings, logger)
      case 'prune':
        return await pruneCommand(settings, logger)
    }
  })
}
