import { DefaultArtifactClient, type Artifact } from '@actions/artifact'
import { randomBytes } from 'node:crypto'
import { chmod, lstat, open, readdir, rename, rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { InputError, IntegrityError, StorageError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { currentRunFolder, makePrivateTempDir, PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { ArtifactRestApi, type RestArtifact } from './artifact-rest.js'
import { isEnterpriseServer, requireActionsRuntime, type RunEnvironment } from './environment.js'
import { BACKUP_ENDINGS, checkBackupName, describeQuery, isExactMatch, listNames } from './names.js'
import { refuseExisting } from './digest.js'
import { watchDownload } from './download-progress.js'
import type { BackupQuery, BackupStorage, FoundBackup, PublishedBackup } from './types.js'

export interface ArtifactStorageOptions {
  /** Where backups are staged and downloads land ('' = the runner's temp folder). */
  tempRoot: string
  retentionDays: number | null
  /** Another run to restore from, or null for this run / the whole repository. */
  runId: number | null
  /** 'owner/name' whose runs hold the backups ('' = this repository). */
  repository: string
  /** Token with `actions: read`, for other runs and for the repository-wide list ('' = none). */
  githubToken: string
}

/** The repository-wide list is read newest first; a backup older than this many artifacts is not looked for. */
const MAX_REPOSITORY_PAGES = 20

/**
 * Backups as workflow artifacts. The finished backup file is uploaded as-is (`skipArchive`): the artifact is the
 * file, its digest is the file's SHA-256 and the artifact name is the file name. Downloads keep the raw bytes
 * (`skipDecompress`): a backup is a ZIP, and letting the client unzip it would lose the very file we need.
 */
export class ArtifactStorage implements BackupStorage {
  readonly kind = 'artifact' as const
  private readonly client = new DefaultArtifactClient()
  private readonly stagingDirs = new Set<string>()
  private readonly repository: string

  constructor(
    private readonly options: ArtifactStorageOptions,
    private readonly env: RunEnvironment,
    private readonly processEnv: NodeJS.ProcessEnv = process.env
  ) {
    if (isEnterpriseServer(env.serverUrl)) {
      throw new StorageError(
        `'storage: artifact' does not work on GitHub Enterprise Server (${env.serverUrl}): @actions/artifact v2 and later ` +
          `support only github.com and GHE.com. Use 'storage: directory' with a 'path' on the runner (a NAS or mounted share), ` +
          `or 'storage: cache'.`
      )
    }
    this.repository = options.repository || env.repository
    if (options.runId !== null && !(Number.isSafeInteger(options.runId) && options.runId > 0)) {
      throw new InputError(
        'run-id',
        `Input 'run-id' must be a workflow run id (a positive whole number), got ${JSON.stringify(options.runId)}.`
      )
    }
    if (
      options.retentionDays !== null &&
      !(Number.isInteger(options.retentionDays) && options.retentionDays >= 1 && options.retentionDays <= 90)
    ) {
      throw new InputError(
        'retention-days',
        `Input 'retention-days' must be a whole number from 1 to 90, got ${JSON.stringify(options.retentionDays)}.`
      )
    }
    if (options.runId !== null) {
      this.requireToken(`'run-id: ${options.runId}' (another run)`)
      this.requireRepository()
    }
  }

  async stagingPath(fileName: string): Promise<string> {
    checkBackupName(fileName)
    // The backup may hold plaintext secrets: without an explicit 'path' it is staged in the run's private folder.
    const dir = await makePrivateTempDir(
      'xlr-artifact-',
      this.options.tempRoot || currentRunFolder() || this.env.tempDir
    )
    this.stagingDirs.add(dir)
    const staged = path.join(dir, `.${fileName}.partial-${randomBytes(6).toString('hex')}`)
    const handle = await open(staged, 'wx', PRIVATE_FILE_MODE)
    await handle.close()
    return staged
  }

  async publish(stagedFile: string, fileName: string, logger: Logger): Promise<PublishedBackup> {
    checkBackupName(fileName)
    requireActionsRuntime('artifact', this.processEnv)
    // skipArchive names the artifact after the file, so the file must carry the backup's name.
    const dir = path.dirname(stagedFile)
    const file = path.join(dir, fileName)
    await rename(stagedFile, file)
    try {
      const size = (await stat(file)).size
      let result
      try {
        result = await this.client.uploadArtifact(fileName, [file], dir, {
          skipArchive: true,
          ...(this.options.retentionDays !== null ? { retentionDays: this.options.retentionDays } : {})
        })
      } catch (error) {
        throw uploadError(error, fileName)
      }
      if (result.id === undefined || !result.digest) {
        throw new StorageError(
          `Uploading artifact '${fileName}' returned no artifact id or digest: the upload cannot be trusted.`
        )
      }
      if (result.size !== size) {
        throw new StorageError(
          `Uploading artifact '${fileName}' sent ${result.size} bytes but the backup has ${size}: the upload cannot be trusted.`
        )
      }
      const artifactUrl = this.artifactUrl(result.id)
      logger.info(
        `Uploaded artifact '${fileName}' (id ${result.id}, ${size} bytes, sha256 ${result.digest}): ${artifactUrl}`
      )
      return { name: fileName, location: fileName, size, sha256: result.digest, artifactId: result.id, artifactUrl }
    } finally {
      await this.dropStagingDir(dir)
    }
  }

  async discard(stagedFile: string): Promise<void> {
    await rm(stagedFile, { force: true })
    await this.dropStagingDir(path.dirname(stagedFile))
  }

  async find(query: BackupQuery, logger: Logger): Promise<FoundBackup> {
    if (this.options.runId !== null) return await this.findInRun(query, this.options.runId, logger)
    if ('name' in query) return await this.findByName(query.name, logger)
    return await this.findNewest(query.prefix, logger)
  }

  async fetch(found: FoundBackup, destDir: string, logger: Logger): Promise<string> {
    if (found.artifactId === undefined)
      throw new StorageError(`Backup '${found.name}' was not found in artifact storage.`)
    const dest = path.join(destDir, found.name)
    await refuseExisting(dest)
    // A fresh owner-only folder: the client names the file itself (Content-Disposition, else 'artifact') and
    // creates it with the default mode, so it must land where nobody else can read it.
    const work = await makePrivateTempDir('.xlr-artifact-download-', destDir)
    try {
      const options = {
        path: work,
        skipDecompress: true,
        ...(found.sha256 ? { expectedHash: `sha256:${found.sha256}` } : {})
      }
      const otherRun = found.workflowRunId !== undefined && found.workflowRunId !== this.env.runId
      let result
      const stopWatching = watchDownload(work, found.size ?? null, `Downloaded ${found.name}`, logger)
      try {
        if (otherRun) {
          const [repositoryOwner, repositoryName] = this.repository.split('/')
          result = await this.client.downloadArtifact(found.artifactId, {
            ...options,
            findBy: {
              token: this.options.githubToken,
              workflowRunId: found.workflowRunId as number,
              repositoryOwner,
              repositoryName
            }
          })
        } else {
          requireActionsRuntime('artifact', this.processEnv)
          result = await this.client.downloadArtifact(found.artifactId, options)
        }
      } catch (error) {
        throw new StorageError(
          `Downloading artifact '${found.name}' (id ${found.artifactId}) failed: ${(error as Error).message}`,
          { cause: error }
        )
      } finally {
        stopWatching()
      }
      const file = await singleFile(work, found.name)
      if (result.digestMismatch) {
        throw new IntegrityError(
          `Artifact '${found.name}' (id ${found.artifactId}) does not match its digest: expected sha256 ${found.sha256}, ` +
            `the downloaded bytes differ. The stored backup is damaged or was replaced; restore refused.`
        )
      }
      if (!found.sha256) {
        logger.warning(
          `Artifact '${found.name}' has no recorded digest (uploaded by an old client?), so its bytes cannot be checked against it.`
        )
      }
      await chmod(file, PRIVATE_FILE_MODE)
      await rename(file, dest)
      logger.info(
        `Downloaded artifact '${found.name}' (id ${found.artifactId}, ${found.size ?? '?'} bytes${found.sha256 ? ', digest checked' : ''})`
      )
      return dest
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }

  /** This run first (no token needed); then, with a token, every run of the repository. */
  private async findByName(name: string, logger: Logger): Promise<FoundBackup> {
    const searched: string[] = []
    if (this.processEnv.ACTIONS_RUNTIME_TOKEN && this.processEnv.ACTIONS_RESULTS_URL) {
      let here: Artifact[]
      try {
        here = (await this.client.listArtifacts()).artifacts
      } catch (error) {
        throw new StorageError(`Listing this run's artifacts failed: ${(error as Error).message}`, { cause: error })
      }
      const matches = here.filter(a => isExactMatch(a.name, name))
      if (matches.length > 0) return this.pickInRun(matches.map(fromClient(null)), { name }, 'this run', logger)
      searched.push(`this run's ${here.length} artifact(s)`)
    }
    if (!this.options.githubToken) {
      throw new StorageError(
        `No artifact found: looked for ${describeQuery({ name })} in ${searched.join(' and ') || 'nothing'}. ` +
          `To look in other runs set 'run-id' (with 'github-token'), or give 'github-token' (actions: read) to search the repository.`
      )
    }
    this.requireRepository()
    const api = this.api()
    const found: RestArtifact[] = []
    for (const ending of BACKUP_ENDINGS) found.push(...(await api.named(name + ending)))
    searched.push(`every run of ${this.repository}`)
    const live = found.filter(a => !a.expired)
    if (live.length > 1) {
      throw new StorageError(
        `Several artifacts in ${this.repository} match name '${name}': ${describeRest(live)}. ` +
          `Set 'run-id' to the run that holds the one you want, or use 'name-prefix' to take the newest.`
      )
    }
    if (live.length === 1) return fromRest(live[0])
    if (found.length > 0) throw expiredError(found, this.repository)
    throw new StorageError(`No artifact found: looked for ${describeQuery({ name })} in ${searched.join(' and ')}.`)
  }

  private async findInRun(query: BackupQuery, runId: number, logger: Logger): Promise<FoundBackup> {
    const all = await this.api().runArtifacts(runId)
    const matching = all.filter(a =>
      'name' in query ? isExactMatch(a.name, query.name) : a.name.startsWith(query.prefix)
    )
    const live = matching.filter(a => !a.expired)
    const where = `run ${runId} of ${this.repository}`
    if (live.length === 0) {
      if (matching.length > 0) throw expiredError(matching, this.repository)
      const names = all.map(a => a.name)
      throw new StorageError(
        `No artifact found: looked for ${describeQuery(query)} in ${where} (${all.length} artifact(s)` +
          `${names.length > 0 ? `: ${listNames(names)}` : ''}).`
      )
    }
    return this.pickInRun(
      live.map(a => fromRest(a)),
      query,
      where,
      logger
    )
  }

  /**
   * Several matches inside one run: one name twice means re-run attempts, and the newest attempt wins (with a
   * warning); different names matching an exact query (x.zip and x.zip.age) are ambiguous and refused.
   */
  private pickInRun(matches: FoundBackup[], query: BackupQuery, where: string, logger: Logger): FoundBackup {
    matches.sort(newestFirst)
    if ('name' in query) {
      const names = [...new Set(matches.map(m => m.name))]
      if (names.length > 1) {
        throw new StorageError(
          `Several artifacts in ${where} match name '${query.name}': ${listNames(names)}. Set 'name' to the full artifact name.`
        )
      }
      if (matches.length > 1) {
        logger.warning(
          `${where} has ${matches.length} artifacts named '${names[0]}' (re-run attempts); using the newest, id ${matches[0].artifactId}.`
        )
      }
    } else {
      logger.info(
        `Newest artifact starting with '${query.prefix}' in ${where}: '${matches[0].name}' (of ${matches.length})`
      )
    }
    return matches[0]
  }

  /** Reads the repository's artifacts newest first and stops at the first live one that matches. */
  private async findNewest(prefix: string, logger: Logger): Promise<FoundBackup> {
    this.requireToken(`'name-prefix' (it lists the repository's artifacts through the GitHub API)`)
    this.requireRepository()
    let seen = 0
    const expired: RestArtifact[] = []
    let pages = 0
    for await (const page of this.api().repositoryPages()) {
      seen += page.length
      const matches = page.filter(a => a.name.startsWith(prefix))
      expired.push(...matches.filter(a => a.expired))
      const live = matches
        .filter(a => !a.expired)
        .map(a => fromRest(a))
        .sort(newestFirst)
      if (live.length > 0) {
        logger.info(
          `Newest artifact starting with '${prefix}' in ${this.repository}: '${live[0].name}' (id ${live[0].artifactId}, run ${live[0].workflowRunId}, ${live[0].createdAt})`
        )
        return live[0]
      }
      if (++pages >= MAX_REPOSITORY_PAGES) break
    }
    if (expired.length > 0) throw expiredError(expired, this.repository)
    throw new StorageError(
      `No artifact found: looked for ${describeQuery({ prefix })} among the ${seen} newest artifact(s) of ${this.repository}. ` +
        `Check 'name-prefix' (names are case-sensitive) and 'repository'.`
    )
  }

  private api(): ArtifactRestApi {
    return new ArtifactRestApi(this.options.githubToken, this.repository, this.env.apiUrl)
  }

  private requireToken(why: string): void {
    if (!this.options.githubToken) {
      throw new InputError(
        'github-token',
        `Input 'github-token' is empty but ${why} needs it: pass a token with 'actions: read' (the default '\${{ github.token }}' does, with 'permissions: { actions: read }').`
      )
    }
  }

  private requireRepository(): void {
    if (!/^[\w.-]+\/[\w.-]+$/.test(this.repository)) {
      throw new InputError(
        'repository',
        `Input 'repository' must be 'owner/name' (GITHUB_REPOSITORY is not set here), got ${JSON.stringify(this.repository)}.`
      )
    }
  }

  private artifactUrl(id: number): string {
    return `${this.env.serverUrl}/${this.env.repository}/actions/runs/${this.env.runId ?? ''}/artifacts/${id}`
  }

  private async dropStagingDir(dir: string): Promise<void> {
    if (!this.stagingDirs.delete(dir)) return
    await rm(dir, { recursive: true, force: true })
  }
}

function fromClient(runId: number | null): (a: Artifact) => FoundBackup {
  return a => ({
    name: a.name,
    ref: String(a.id),
    size: a.size,
    sha256: a.digest ? a.digest.replace(/^sha256:/, '') : null,
    createdAt: a.createdAt ? a.createdAt.toISOString() : null,
    artifactId: a.id,
    ...(runId !== null ? { workflowRunId: runId } : {})
  })
}

function fromRest(a: RestArtifact): FoundBackup {
  return {
    name: a.name,
    ref: String(a.id),
    size: a.size,
    sha256: a.digest ? a.digest.replace(/^sha256:/, '') : null,
    createdAt: a.createdAt,
    artifactId: a.id,
    ...(a.runId !== null ? { workflowRunId: a.runId } : {})
  }
}

function newestFirst(a: FoundBackup, b: FoundBackup): number {
  const t = Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? '')
  return (Number.isNaN(t) ? 0 : t) || (b.artifactId ?? 0) - (a.artifactId ?? 0)
}

function describeRest(list: RestArtifact[]): string {
  return list
    .slice(0, 5)
    .map(a => `'${a.name}' (id ${a.id}, run ${a.runId}, ${a.createdAt})`)
    .join(', ')
}

function expiredError(list: RestArtifact[], repository: string): StorageError {
  return new StorageError(
    `The matching artifact has expired and can no longer be downloaded: ${describeRest(list)} in ${repository}. ` +
      `Artifacts are deleted after their retention period ('retention-days', at most 90): restore another backup, ` +
      `and keep long-lived backups with 'storage: directory'.`
  )
}

function uploadError(error: unknown, name: string): StorageError {
  const message = (error as Error).message ?? String(error)
  if (/already exists|\(409\)/i.test(message)) {
    return new StorageError(`An artifact named '${name}' already exists in this run: give the backup another 'name'.`, {
      cause: error
    })
  }
  return new StorageError(`Uploading the backup as artifact '${name}' failed: ${message}`, { cause: error })
}

/** The one file the client wrote into our empty download folder, whatever name it chose for it. */
async function singleFile(dir: string, name: string): Promise<string> {
  const entries = await readdir(dir)
  if (entries.length !== 1) {
    throw new StorageError(
      `Artifact '${name}' did not download as a single file (found ${entries.length} entries): it was not uploaded by xlr-backup.`
    )
  }
  const file = path.join(dir, entries[0])
  if (!(await lstat(file)).isFile()) throw new StorageError(`Artifact '${name}' did not download as a regular file.`)
  return file
}
