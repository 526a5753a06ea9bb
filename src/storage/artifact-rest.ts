import { getOctokit } from '@actions/github'
import { StorageError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'

/** One artifact as the GitHub REST API lists it. */
export interface RestArtifact {
  id: number
  name: string
  size: number
  createdAt: string | null
  expired: boolean
  /** 'sha256:<hex>', or null for artifacts uploaded before digests existed. */
  digest: string | null
  runId: number | null
}

interface RawArtifact {
  id: number
  name: string
  size_in_bytes: number
  created_at: string | null
  expired: boolean
  digest?: string | null
  workflow_run?: { id?: number | null } | null
}

const PER_PAGE = 100

/** What decides whether a run's artifacts are trusted: how it was triggered, on which branch, by which workflow. */
export interface RunFacts {
  id: number
  event: string
  headBranch: string | null
  /** The workflow file, '.github/workflows/x.yml'. */
  path: string
  /** 'owner/name' the run's code came from (a fork for pull requests from forks). */
  headRepository: string | null
}

/**
 * The slice of the REST API the artifact client does not offer: the repository-wide artifact list (newest first)
 * used to find the newest backup by prefix, and per-run lists that keep the `expired` flag. The base URL is read
 * when the object is made (not when @actions/github is first imported), so GHE.com and test servers work.
 */
export class ArtifactRestApi {
  private readonly octokit: ReturnType<typeof getOctokit>
  readonly owner: string
  readonly repo: string

  constructor(
    token: string,
    readonly repository: string,
    apiUrl: string
  ) {
    ;[this.owner, this.repo] = repository.split('/')
    this.octokit = getOctokit(token, { baseUrl: apiUrl })
  }

  /** Every artifact of one run, newest first. */
  async runArtifacts(runId: number): Promise<RestArtifact[]> {
    const all: RestArtifact[] = []
    for await (const page of this.pages(
      `GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts`,
      { run_id: runId },
      `run ${runId}`
    )) {
      all.push(...page)
    }
    return all
  }

  /** The repository's artifacts called exactly `name` (every run), newest first. */
  async named(name: string): Promise<RestArtifact[]> {
    const all: RestArtifact[] = []
    for await (const page of this.pages(`GET /repos/{owner}/{repo}/actions/artifacts`, { name }, 'the repository')) {
      all.push(...page)
    }
    return all
  }

  /** Pages of the repository's artifacts, newest first (the API has no prefix filter, so callers filter). */
  repositoryPages(): AsyncGenerator<RestArtifact[]> {
    return this.pages(`GET /repos/{owner}/{repo}/actions/artifacts`, {}, 'the repository')
  }

  /** One workflow run's trigger, branch and workflow file. */
  async run(runId: number): Promise<RunFacts> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
        owner: this.owner,
        repo: this.repo,
        run_id: runId
      })
      const raw = data as {
        id: number
        event: string
        head_branch: string | null
        path: string
        head_repository?: { full_name?: string } | null
      }
      return {
        id: raw.id,
        event: raw.event,
        headBranch: raw.head_branch,
        path: raw.path,
        headRepository: raw.head_repository?.full_name ?? null
      }
    } catch (error) {
      throw restError(error, this.repository, `run ${runId}`)
    }
  }

  /**
   * Deletes one artifact (the token needs 'actions: write'). False when it was already gone (404): a rotation that
   * races another one, or an artifact that expired, is not a failure.
   */
  async deleteArtifact(id: number, name: string): Promise<boolean> {
    try {
      await this.octokit.request('DELETE /repos/{owner}/{repo}/actions/artifacts/{artifact_id}', {
        owner: this.owner,
        repo: this.repo,
        artifact_id: id
      })
      return true
    } catch (error) {
      const status = (error as { status?: number }).status
      if (status === 404) return false
      throw deleteError(error, this.repository, `artifact '${name}' (id ${id})`)
    }
  }

  /** The repository's default branch. */
  async defaultBranch(): Promise<string> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}', { owner: this.owner, repo: this.repo })
      return (data as { default_branch: string }).default_branch
    } catch (error) {
      throw restError(error, this.repository, 'the repository')
    }
  }

  private async *pages(route: string, params: Record<string, unknown>, scope: string): AsyncGenerator<RestArtifact[]> {
    for (let page = 1; ; page++) {
      let data: { total_count: number; artifacts: RawArtifact[] }
      try {
        const response = await this.octokit.request(route, {
          owner: this.owner,
          repo: this.repo,
          per_page: PER_PAGE,
          page,
          ...params
        })
        data = response.data as typeof data
      } catch (error) {
        throw restError(error, this.repository, scope)
      }
      yield data.artifacts.map(toRestArtifact)
      if (data.artifacts.length < PER_PAGE || page * PER_PAGE >= data.total_count) return
    }
  }
}

function toRestArtifact(a: RawArtifact): RestArtifact {
  return {
    id: a.id,
    name: a.name,
    size: a.size_in_bytes,
    createdAt: a.created_at,
    expired: a.expired,
    digest: a.digest ?? null,
    runId: a.workflow_run?.id ?? null
  }
}

/** A refused deletion (artifact or cache entry): 403 means the token may read but not write. */
export function deleteError(error: unknown, repository: string, what: string): StorageError {
  const status = (error as { status?: number }).status
  const detail = (error as Error).message
  if (status === 403) {
    return new StorageError(
      `The GitHub API refused to delete ${what} in ${repository} (HTTP 403: ${detail}). Rotation deletes through the ` +
        `REST API, so '${Input.GithubToken}' needs 'actions: write': add 'permissions: { actions: write }' to the job ` +
        `(or pass a token that has it).`,
      { cause: error }
    )
  }
  if (status === 401) {
    return new StorageError(
      `The GitHub API rejected '${Input.GithubToken}' (HTTP 401: ${detail}): it is invalid or expired.`,
      { cause: error }
    )
  }
  return new StorageError(`Deleting ${what} in ${repository} failed: ${detail}`, { cause: error })
}

/** Turns an HTTP failure of the REST API into a message that names the input to fix. */
export function restError(error: unknown, repository: string, scope: string, listing = 'artifacts'): StorageError {
  const status = (error as { status?: number }).status
  const detail = (error as Error).message
  if (status === 403) {
    return new StorageError(
      `The GitHub API refused to list the ${listing} of ${scope} in ${repository} (HTTP 403: ${detail}). ` +
        `The '${Input.GithubToken}' lacks 'actions: read' on '${repository}': add 'permissions: { actions: read }' to the job, ` +
        `or pass a token that has it (for another repository, a fine-grained token with Actions read access).`,
      { cause: error }
    )
  }
  if (status === 401) {
    return new StorageError(
      `The GitHub API rejected '${Input.GithubToken}' (HTTP 401: ${detail}): it is invalid or expired.`,
      {
        cause: error
      }
    )
  }
  if (status === 404) {
    return new StorageError(
      `The GitHub API found no ${scope === 'the repository' ? `repository '${repository}'` : `${scope} in '${repository}'`} ` +
        `(HTTP 404). Check '${Input.Repository}' and '${Input.RunId}', and that '${Input.GithubToken}' can see that repository.`,
      { cause: error }
    )
  }
  return new StorageError(`Listing the ${listing} of ${scope} in ${repository} failed: ${detail}`, { cause: error })
}
