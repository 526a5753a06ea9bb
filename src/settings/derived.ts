import * as os from 'node:os'
import type { ServerControl } from '../guard/types.js'
import type { Settings } from './settings.js'

/** The guard's stop/start settings from the inputs. */
export function serverControl(settings: Settings): ServerControl {
  return {
    stopCommand: settings.server.stopCommand || undefined,
    startCommand: settings.server.startCommand || undefined,
    stopTimeoutSeconds: settings.server.stopTimeoutSeconds,
    startTimeoutSeconds: settings.server.startTimeoutSeconds,
    healthUrl: settings.server.healthUrl
  }
}

/**
 * Where the run's private folder goes (see lifecycle/run-folder.ts), holding dumps, downloads and password files
 * while they are worked on: the runner's temp folder, else the OS's. With 'storage: directory' and 'path' the backup
 * itself is staged in that folder (see DirectoryStorage).
 */
export function tempRoot(_settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TEMP || os.tmpdir()
}

/** 'threads: 0' means every core. */
export function threadCount(settings: Settings): number {
  return settings.threads > 0 ? settings.threads : os.availableParallelism()
}
