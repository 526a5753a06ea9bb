import { DefaultArtifactClient, type Artifact } from '@actions/artifact'
import { chmod, lstat, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { InputError, IntegrityError, SignatureError, StorageError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { currentRunFolder, makePrivateTempDir, PRIVATE_FILE_MODE } from '../shared/private-files.js'
import { ArtifactRestApi, type RestArtifact, type RunFacts } from './artifact-rest.js'
import { readCompanion } from './companion-file.js'
import { companionName, isCompanionName, MAX_COMPANION_BYTES } from '../signing/companion.js'
import { isEnterpriseServer, requireActionsRuntime, type RunEnvironment } from './environment.js'
import { BACKUP_ENDINGS, checkBackupName, describeQuery, isExactMatch, listNames } from './names.js'
import { refuseExisting } from './digest.js'
import { createStagingFile } from './staging.js'
import { watchDownload } from './download-progress.js'
import type { BackupQuery, BackupStorage, FoundBackup, PublishedBackup, RunTrust } from './types.js'
import { Input } from '../shared/io-names.js'

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
  /** Which runs a repository-wide search may take backups from (absent = default branch, no pull requests). */
  trust?: RunTrust
}

/** Events whose runs carry code from a pull request: their artifacts are never taken unless 'trust-any-run'. */
const PULL_REQUEST_EVENT = /^pull_request/

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
  /** Per run id: null when trusted, else why not (each run is asked about once). */
  private readonly runVerdicts = new Map<number, Promise<string | null>>()
  private defaultBranch: Promise<string> | null = null

  constructor(
    private readonly options: ArtifactStorageOptions,
    private readonly env: RunEnvironment,
    private readonly processEnv: NodeJS.ProcessEnv = process.env
  ) {
    if (isEnterpriseServer(env.serverUrl)) {
      throw new StorageError(
        `'${Input.Storage}: artifact' does not work on GitHub Enterprise Server (${env.serverUrl}): @actions/artifact v2 and later ` +
          `support only github.com and GHE.com. Use '${Input.Storage}: directory' with a '${Input.Path}' on the runner (a NAS or mounted share), ` +
          `or '${Input.Storage}: cache'.`
      )
    }
    this.repository = options.repository || env.repository
    if (options.runId !== null) {
      this.requireToken(`'${Input.RunId}: ${options.runId}' (another run)`)
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
    return await createStagingFile(dir, fileName)
  }

  async publish(
    stagedFile: string,
    fileName: string,
    logger: Logger,
    _written?: { sha256: string; size: number },
    signature?: string
  ): Promise<PublishedBackup> {
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
      // A second artifact in the same run, uploaded after the backup: a run that died between the two leaves an
      // unsigned backup, which a restore that trusts signers refuses.
      if (signature !== undefined) await this.uploadCompanion(dir, companionName(fileName), signature, logger)
      return { name: fileName, location: fileName, size, sha256: result.digest, artifactId: result.id, artifactUrl }
    } finally {
      await this.dropStagingDir(dir)
    }
  }

  private async uploadCompanion(dir: string, name: string, text: string, logger: Logger): Promise<void> {
    const file = path.join(dir, name)
    await writeFile(file, text, { mode: PRIVATE_FILE_MODE, flag: 'wx' })
    try {
      const result = await this.client.uploadArtifact(name, [file], dir, {
        skipArchive: true,
        ...(this.options.retentionDays !== null ? { retentionDays: this.options.retentionDays } : {})
      })
      logger.info(`Uploaded its signature as artifact '${name}' (id ${result.id})`)
    } catch (error) {
      throw uploadError(error, name)
    }
  }

  async fetchSignature(found: FoundBackup, destDir: string, logger: Logger): Promise<string | null> {
    const name = companionName(found.name)
    let candidates: FoundBackup[]
    if (found.workflowRunId !== undefined) {
      const inRun = await this.api().runArtifacts(found.workflowRunId)
      candidates = inRun.filter(a => a.name === name && !a.expired).map(a => fromRest(a))
    } else {
      requireActionsRuntime('artifact', this.processEnv)
      let here: Artifact[]
      try {
        here = (await this.client.listArtifacts()).artifacts
      } catch (error) {
        throw new StorageError(`Listing this run's artifacts failed: ${(error as Error).message}`, { cause: error })
      }
      candidates = here.filter(a => a.name === name).map(fromClient)
    }
    if (candidates.length === 0) return null
    const companion = candidates.sort(newestFirst)[0]
    if ((companion.size ?? 0) > MAX_COMPANION_BYTES) {
      throw new SignatureError(
        `The signature artifact '${name}' (id ${companion.artifactId}) is ${companion.size} bytes, far more than a signature: the backup is refused.`
      )
    }
    const file = await this.fetch(companion, destDir, logger)
    try {
      return await readCompanion(file)
    } finally {
      await rm(file, { force: true })
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

  /**
   * Every live artifact of the repository whose name starts with `prefix`, all pages. Only trusted runs' artifacts
   * count (as for a restore by prefix): a pull request that uploads look-alike backups must not push the real ones
   * out of a 'keep-last' window.
   */
  async list(prefix: string, logger: Logger): Promise<FoundBackup[]> {
    this.requireToken(`the rotation (it lists and deletes the repository's artifacts through the GitHub API)`)
    this.requireRepository()
    const matches: RestArtifact[] = []
    for await (const page of this.api().repositoryPages()) {
      matches.push(...page.filter(a => a.name.startsWith(prefix) && !isCompanionName(a.name) && !a.expired))
    }
    const { trusted, refused } = await this.trustedOnly(matches)
    for (const r of refused) {
      logger.info(
        `Left out artifact '${r.artifact.name}' (id ${r.artifact.id}, run ${r.artifact.runId}): ${r.reason}; it is neither counted nor deleted.`
      )
    }
    return trusted.map(a => fromRest(a))
  }

  /** Deletes the artifact and the signature artifact its run holds beside it. Artifacts have no lock. */
  async remove(found: FoundBackup, logger: Logger): Promise<'deleted' | 'locked'> {
    if (found.artifactId === undefined) throw new StorageError(`Backup '${found.name}' is not a listed artifact.`)
    const api = this.api()
    if (!(await api.deleteArtifact(found.artifactId, found.name))) {
      logger.info(`Artifact '${found.name}' (id ${found.artifactId}) was already gone.`)
    }
    if (found.workflowRunId !== undefined) {
      const signature = companionName(found.name)
      for (const a of (await api.runArtifacts(found.workflowRunId)).filter(c => c.name === signature)) {
        await api.deleteArtifact(a.id, a.name)
      }
    }
    return 'deleted'
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
      const matches = here.filter(a => !isCompanionName(a.name) && isExactMatch(a.name, name))
      if (matches.length > 0) return this.pickInRun(matches.map(fromClient), { name }, 'this run', logger)
      searched.push(`this run's ${here.length} artifact(s)`)
    }
    if (!this.options.githubToken) {
      throw new StorageError(
        `No artifact found: looked for ${describeQuery({ name })} in ${searched.join(' and ') || 'nothing'}. ` +
          `To look in other runs set '${Input.RunId}' (with '${Input.GithubToken}'), or give '${Input.GithubToken}' (actions: read) to search the repository.`
      )
    }
    this.requireRepository()
    const api = this.api()
    const found: RestArtifact[] = []
    for (const ending of BACKUP_ENDINGS) {
      found.push(...(await api.named(name + ending)).filter(a => !isCompanionName(a.name)))
    }
    searched.push(`every run of ${this.repository}`)
    const { trusted: live, refused } = await this.trustedOnly(found.filter(a => !a.expired))
    if (live.length === 0 && refused.length > 0) throw this.untrustedError(refused, describeQuery({ name }))
    if (live.length > 1) {
      throw new StorageError(
        `Several artifacts in ${this.repository} match name '${name}': ${describeRest(live)}. ` +
          `Set '${Input.RunId}' to the run that holds the one you want, or use '${Input.NamePrefix}' to take the newest.`
      )
    }
    if (live.length === 1) return fromRest(live[0])
    if (found.length > 0) throw expiredError(found, this.repository)
    throw new StorageError(`No artifact found: looked for ${describeQuery({ name })} in ${searched.join(' and ')}.`)
  }

  private async findInRun(query: BackupQuery, runId: number, logger: Logger): Promise<FoundBackup> {
    const all = await this.api().runArtifacts(runId)
    const matching = all.filter(
      a =>
        !isCompanionName(a.name) &&
        ('name' in query ? isExactMatch(a.name, query.name) : a.name.startsWith(query.prefix))
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
          `Several artifacts in ${where} match name '${query.name}': ${listNames(names)}. Set '${Input.Name}' to the full artifact name.`
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
    this.requireToken(`'${Input.NamePrefix}' (it lists the repository's artifacts through the GitHub API)`)
    this.requireRepository()
    let seen = 0
    const expired: RestArtifact[] = []
    const untrusted: { artifact: RestArtifact; reason: string }[] = []
    let pages = 0
    for await (const page of this.api().repositoryPages()) {
      seen += page.length
      const matches = page.filter(a => a.name.startsWith(prefix) && !isCompanionName(a.name))
      expired.push(...matches.filter(a => a.expired))
      // Newest first, and the runs asked about only until one is trusted: an API call per run, not per artifact.
      const { trusted, refused } = await this.trustedOnly(
        matches.filter(a => !a.expired).sort((a, b) => newestFirst(fromRest(a), fromRest(b))),
        1
      )
      untrusted.push(...refused)
      for (const r of refused) {
        logger.info(
          `Skipped artifact '${r.artifact.name}' (id ${r.artifact.id}, run ${r.artifact.runId}): ${r.reason}.`
        )
      }
      const live = trusted.map(a => fromRest(a)).sort(newestFirst)
      if (live.length > 0) {
        logger.info(
          `Newest artifact starting with '${prefix}' in ${this.repository}: '${live[0].name}' (id ${live[0].artifactId}, run ${live[0].workflowRunId}, ${live[0].createdAt})`
        )
        return live[0]
      }
      if (++pages >= MAX_REPOSITORY_PAGES) break
    }
    if (untrusted.length > 0) throw this.untrustedError(untrusted, describeQuery({ prefix }))
    if (expired.length > 0) throw expiredError(expired, this.repository)
    throw new StorageError(
      `No artifact found: looked for ${describeQuery({ prefix })} among the ${seen} newest artifact(s) of ${this.repository}. ` +
        `Check '${Input.NamePrefix}' (names are case-sensitive) and '${Input.Repository}'.`
    )
  }

  /**
   * Splits artifacts found across the repository into those of trusted runs and the others (with the reason).
   * Anyone who can open a pull request can make a run upload an artifact with any name; by default only runs of the
   * default branch not triggered by a pull request may supply a backup.
   */
  private async trustedOnly(
    list: RestArtifact[],
    enough = Infinity
  ): Promise<{ trusted: RestArtifact[]; refused: { artifact: RestArtifact; reason: string }[] }> {
    const trusted: RestArtifact[] = []
    const refused: { artifact: RestArtifact; reason: string }[] = []
    for (const artifact of list) {
      if (trusted.length >= enough) break
      const reason = await this.distrust(artifact.runId)
      if (reason === null) trusted.push(artifact)
      else refused.push({ artifact, reason })
    }
    return { trusted, refused }
  }

  /** null when the run's artifacts may be taken, else why not. */
  private distrust(runId: number | null): Promise<string | null> {
    const trust = this.options.trust ?? { anyRun: false, branch: '', workflow: '' }
    if (trust.anyRun) return Promise.resolve(null)
    if (runId === null) return Promise.resolve('the run that made it is not known')
    let verdict = this.runVerdicts.get(runId)
    if (!verdict) {
      verdict = this.judge(runId, trust)
      this.runVerdicts.set(runId, verdict)
    }
    return verdict
  }

  private async judge(runId: number, trust: RunTrust): Promise<string | null> {
    const api = this.api()
    const run: RunFacts = await api.run(runId)
    if (PULL_REQUEST_EVENT.test(run.event)) return `its run was triggered by '${run.event}'`
    if (run.headRepository !== null && run.headRepository.toLowerCase() !== this.repository.toLowerCase()) {
      return `its run ran code from another repository (${run.headRepository})`
    }
    const branch = trust.branch || (await (this.defaultBranch ??= api.defaultBranch()))
    if (run.headBranch !== branch) {
      return `its run was on branch '${run.headBranch ?? '?'}', not '${branch}'${trust.branch ? " ('backup-branch')" : ' (the default branch)'}`
    }
    const workflow = path.posix.basename(run.path.replace(/@.*$/, ''))
    if (trust.workflow && workflow !== trust.workflow) {
      return `its run was of workflow '${workflow}', not '${trust.workflow}' ('backup-workflow')`
    }
    return null
  }

  private untrustedError(refused: { artifact: RestArtifact; reason: string }[], what: string): StorageError {
    const shown = refused
      .slice(0, 5)
      .map(r => `'${r.artifact.name}' (id ${r.artifact.id}, run ${r.artifact.runId}): ${r.reason}`)
      .join('; ')
    return new StorageError(
      `No artifact of a trusted run found: looked for ${what} in ${this.repository}, and skipped ${refused.length} ` +
        `from runs that may not supply a backup: ${shown}. Only runs of the default branch not triggered by a pull ` +
        `request count; set 'backup-branch' or 'backup-workflow' to name the runs that make your backups, 'run-id' ` +
        `to pick one run, or 'trust-any-run: true' to take any run's artifact.`
    )
  }

  private api(): ArtifactRestApi {
    return new ArtifactRestApi(this.options.githubToken, this.repository, this.env.apiUrl)
  }

  private requireToken(why: string): void {
    if (!this.options.githubToken) {
      throw new InputError(
        Input.GithubToken,
        `Input '${Input.GithubToken}' is empty but ${why} needs it: pass a token with 'actions: read' (the default '\${{ github.token }}' does, with 'permissions: { actions: read }').`
      )
    }
  }

  private requireRepository(): void {
    if (!/^[\w.-]+\/[\w.-]+$/.test(this.repository)) {
      throw new InputError(
        Input.Repository,
        `Input '${Input.Repository}' must be 'owner/name' (GITHUB_REPOSITORY is not set here), got ${JSON.stringify(this.repository)}.`
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

/** An artifact of this run, as the client lists it (other runs' artifacts come from the REST API: fromRest). */
function fromClient(a: Artifact): FoundBackup {
  return {
    name: a.name,
    ref: String(a.id),
    size: a.size,
    sha256: a.digest ? a.digest.replace(/^sha256:/, '') : null,
    createdAt: a.createdAt ? a.createdAt.toISOString() : null,
    artifactId: a.id
  }
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
      `Artifacts are deleted after their retention period ('${Input.RetentionDays}', at most 90): restore another backup, ` +
      `and keep long-lived backups with '${Input.Storage}: directory'.`
  )
}

function uploadError(error: unknown, name: string): StorageError {
  const message = (error as Error).message ?? String(error)
  if (/already exists|\(409\)/i.test(message)) {
    return new StorageError(
      `An artifact named '${name}' already exists in this run: give the backup another '${Input.Name}'.`,
      {
        cause: error
      }
    )
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
