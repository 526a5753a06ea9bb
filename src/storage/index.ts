import { StorageError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { DirectoryStorage } from './directory.js'
import { runEnvironment } from './environment.js'
import type { BackupStorage, StorageKind, StorageSettings } from './types.js'
import { Input } from '../shared/io-names.js'
import { createObjectStorage } from './object-store.js'

export type { BackupStorage, BackupQuery, FoundBackup, PublishedBackup, StorageKind } from './types.js'
export type { ArtifactStorageOptions } from './artifact.js'
export { DirectoryStorage } from './directory.js'
export { isEnterpriseServer, runEnvironment, type RunEnvironment } from './environment.js'
export { checkBackupName, isExactMatch } from './names.js'
export { hashFile } from './digest.js'

/**
 * Picks the backend for `settings.kind` and checks what the environment allows before any work (GitHub Enterprise
 * Server for artifacts, a token for another run), so a bad setup fails before the server is stopped. The values
 * themselves were checked by parseSettings.
 * The artifact and cache backends are loaded only when chosen: their clients (Azure blob, protobuf, undici) are
 * most of the bundle, ~0.3 s and ~60 MB of memory to load, which a backup to a folder would pay for nothing.
 */
export async function createStorage(
  settings: StorageSettings,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env
): Promise<BackupStorage> {
  const run = runEnvironment(env)
  switch (settings.kind) {
    case 'directory':
      logger.debug(`Backups are files in ${settings.path}`)
      return new DirectoryStorage(settings.path)
    case 'artifact': {
      logger.debug(`Backups are workflow artifacts of ${settings.repository || run.repository}`)
      const { ArtifactStorage } = await import('./artifact.js')
      return new ArtifactStorage(
        {
          tempRoot: settings.path,
          retentionDays: settings.retentionDays,
          runId: settings.runId,
          repository: settings.repository,
          githubToken: settings.githubToken,
          ...(settings.trust ? { trust: settings.trust } : {})
        },
        run,
        env
      )
    }
    case 'cache': {
      const { CacheStorage } = await import('./cache.js')
      return new CacheStorage(run, env, { githubToken: settings.githubToken, repository: settings.repository })
    }
    case 's3':
    case 'azure':
      return await createObjectStorage(settings, logger, env)
    default:
      throw new StorageError(`Unknown storage '${String((settings as { kind: unknown }).kind)}'.`)
  }
}

/**
 * Warns when a scheduled run keeps its backups in the Actions cache: entries unused for 7 days are evicted and a
 * repository holds at most 10 GB, so nightly backups there quietly disappear.
 */
export function warnIfCacheForSchedule(
  kind: StorageKind,
  logger: Logger,
  eventName: string = process.env.GITHUB_EVENT_NAME ?? ''
): boolean {
  if (kind !== 'cache' || eventName !== 'schedule') return false
  logger.warning(
    `'${Input.Storage}: cache' is not a place to keep scheduled backups: the Actions cache evicts entries not used for 7 days ` +
      `and holds at most 10 GB per repository (older entries go first). Use '${Input.Storage}: artifact' (kept up to 90 days) ` +
      `or '${Input.Storage}: directory' on a NAS for backups you may need later.`
  )
  return true
}
