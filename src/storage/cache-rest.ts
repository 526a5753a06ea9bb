import { getOctokit } from '@actions/github'
import { deleteError, restError } from './artifact-rest.js'

/** One cache entry as the REST API lists it. */
export interface RestCacheEntry {
  id: number
  key: string
  ref: string
  createdAt: string | null
  size: number
}

interface RawCacheEntry {
  id: number
  key: string
  ref: string
  created_at?: string | null
  size_in_bytes?: number
}

const PER_PAGE = 100

/**
 * The slice of the REST API the cache client does not offer: listing entries by key prefix and deleting them (the
 * rotation). Listing needs 'actions: read', deleting 'actions: write'.
 */
export class CacheRestApi {
  private readonly octokit: ReturnType<typeof getOctokit>
  private readonly owner: string
  private readonly repo: string

  constructor(
    token: string,
    private readonly repository: string,
    apiUrl: string
  ) {
    ;[this.owner, this.repo] = repository.split('/')
    this.octokit = getOctokit(token, { baseUrl: apiUrl })
  }

  /** Every entry whose key starts with `keyPrefix` (the API matches keys by prefix), of `ref` when given; all pages. */
  async list(keyPrefix: string, ref: string): Promise<RestCacheEntry[]> {
    const all: RestCacheEntry[] = []
    for (let page = 1; ; page++) {
      let data: { total_count: number; actions_caches: RawCacheEntry[] }
      try {
        const response = await this.octokit.request('GET /repos/{owner}/{repo}/actions/caches', {
          owner: this.owner,
          repo: this.repo,
          key: keyPrefix,
          per_page: PER_PAGE,
          page,
          ...(ref ? { ref } : {})
        })
        data = response.data as typeof data
      } catch (error) {
        throw restError(error, this.repository, 'the repository', 'cache entries')
      }
      for (const e of data.actions_caches) {
        all.push({ id: e.id, key: e.key, ref: e.ref, createdAt: e.created_at ?? null, size: e.size_in_bytes ?? 0 })
      }
      if (data.actions_caches.length < PER_PAGE || page * PER_PAGE >= data.total_count) return all
    }
  }

  /** Deletes the entries called exactly `key` (of `ref` when given); false when there were none (404). */
  async deleteKey(key: string, ref: string): Promise<boolean> {
    try {
      await this.octokit.request('DELETE /repos/{owner}/{repo}/actions/caches{?key,ref}', {
        owner: this.owner,
        repo: this.repo,
        key,
        ...(ref ? { ref } : {})
      })
      return true
    } catch (error) {
      if ((error as { status?: number }).status === 404) return false
      throw deleteError(error, this.repository, `cache entry '${key}'`)
    }
  }
}
