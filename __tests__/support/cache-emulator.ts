/**
 * A local stand-in for the Actions cache service v2 (Twirp `CacheService` plus blob storage), good enough for the
 * real `@actions/cache` client: CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL (exact key,
 * then restore-key prefixes, newest first, same version only), and the REST API's cache list (key prefix, ref,
 * pages) and deletion (by key and ref, or by id) that the rotation uses. Usable from Jest and from a plain script.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import * as os from 'node:os'
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as path from 'node:path'
import { BlobStore, closeEmulator, listen, readBody, runtimeToken, sendJson, twirpError } from './artifact-emulator.js'

export interface CacheEntry {
  id: number
  key: string
  version: string
  blobId: string
  blobFile: string
  size: number
  finalized: boolean
  /** Order of creation (the Twirp lookups take the newest). */
  createdAt: number
  /** Creation time the REST API reports (settable: backdate). */
  created: string
  /** The branch whose runs saved it ('refs/heads/main' unless setRef changed it). */
  ref: string
}

export interface CacheEmulatorOptions {
  /** 'owner/name' of the emulated repository (default 'octo-org/xlr-backups'). */
  repository?: string
  /** Tokens that may list but get 403 on DELETE (`actions: read` without `actions: write`). */
  readOnlyTokens?: string[]
}

export interface CacheEmulator {
  url: string
  /** Environment for a job: runtime token, results URL, ACTIONS_CACHE_SERVICE_V2. */
  env: Record<string, string>
  entries(): CacheEntry[]
  /** Flips a byte in the stored archive of `key` (the compressed stream: the client's tar step then fails). */
  tamper(key: string): Promise<void>
  /**
   * Flips a byte in the middle of the tar inside the entry and compresses it again (zstd CLI), so the archive
   * restores cleanly but the file in it has changed: only a digest check can notice.
   */
  tamperContent(key: string): Promise<void>
  /** Drops an entry, as eviction would. */
  evict(key: string): void
  /** Sets the creation time the REST API reports for `key`. */
  backdate(key: string, created: string): void
  /** The branch later saves are made from (a pull request's 'refs/pull/1/merge', say). */
  setRef(ref: string): void
  /** The token the REST API accepts. */
  token: string
  requests: string[]
  close(): Promise<void>
}

const CACHE_SERVICE = '/twirp/github.actions.results.api.v1.CacheService/'

export async function startCacheEmulator(opts: CacheEmulatorOptions = {}): Promise<CacheEmulator> {
  const repository = opts.repository ?? 'octo-org/xlr-backups'
  const token = `ghs_${randomBytes(12).toString('hex')}`
  const readOnly = new Set(opts.readOnlyTokens ?? [])
  let ref = 'refs/heads/main'
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-emulator-'))
  const entries: CacheEntry[] = []
  const requests: string[] = []
  let origin = ''
  let nextId = 1
  let clock = 0
  const store = new BlobStore(dir, () => origin)

  const restEntry = (e: CacheEntry): object => ({
    id: e.id,
    ref: e.ref,
    key: e.key,
    version: e.version,
    last_accessed_at: e.created,
    created_at: e.created,
    size_in_bytes: e.size
  })
  /** GET (key prefix, ref, pages, newest first) and DELETE (by key and ref, or by id) of the REST API. */
  const rest = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const auth = String(req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '')
    if (auth !== token && !readOnly.has(auth)) return sendJson(res, 401, { message: 'Bad credentials' })
    if (req.method === 'DELETE' && readOnly.has(auth))
      return sendJson(res, 403, { message: 'Resource not accessible by integration' })
    const key = url.searchParams.get('key')
    const refFilter = url.searchParams.get('ref')
    const byId = /\/actions\/caches\/(\d+)$/.exec(url.pathname)
    const chosen = entries
      .filter(e => e.finalized && (byId ? e.id === Number(byId[1]) : true))
      .filter(e => (refFilter === null || e.ref === refFilter) && (key === null || e.key.startsWith(key)))
      .sort((a, b) => b.created.localeCompare(a.created))
    if (req.method === 'GET' && !byId) {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1))
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)))
      return sendJson(res, 200, {
        total_count: chosen.length,
        actions_caches: chosen.slice((page - 1) * perPage, page * perPage).map(restEntry)
      })
    }
    if (req.method === 'DELETE') {
      // Deleting by key takes the exact key only (the listing matches prefixes).
      const doomed = byId ? chosen : chosen.filter(e => e.key === key)
      if (doomed.length === 0) return sendJson(res, 404, { message: 'Not Found' })
      for (const e of doomed) entries.splice(entries.indexOf(e), 1)
      if (byId) return void res.writeHead(204).end()
      return sendJson(res, 200, { total_count: doomed.length, actions_caches: doomed.map(restEntry) })
    }
    sendJson(res, 404, { message: 'Not Found' })
  }

  const { server, origin: o } = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator')
    requests.push(`${req.method} ${url.pathname}`)
    if (await store.handle(req, res, url, () => null)) return
    if (url.pathname.startsWith(`/repos/${repository}/actions/caches`)) return rest(req, res, url)
    if (req.method !== 'POST' || !url.pathname.startsWith(CACHE_SERVICE))
      return sendJson(res, 404, { msg: 'not found' })
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>
    const key = String(body.key ?? '')
    const version = String(body.version ?? '')
    switch (url.pathname.slice(CACHE_SERVICE.length)) {
      case 'CreateCacheEntry': {
        if (entries.some(e => e.key === key && e.version === version)) {
          return sendJson(res, 200, { ok: false, message: `cache entry with key ${key} already exists` })
        }
        const blob = store.create('cache')
        entries.push({
          id: nextId++,
          key,
          version,
          blobId: blob.id,
          blobFile: blob.file,
          size: 0,
          finalized: false,
          createdAt: ++clock,
          created: new Date().toISOString(),
          ref
        })
        return sendJson(res, 200, { ok: true, signed_upload_url: blob.url })
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find(e => e.key === key && e.version === version && !e.finalized)
        if (!entry) return sendJson(res, 200, { ok: false, message: 'no pending entry' })
        const size = await stat(entry.blobFile).then(
          s => s.size,
          () => -1
        )
        if (size !== Number(body.size_bytes))
          return sendJson(res, 200, { ok: false, message: `size mismatch ${String(body.size_bytes)} != ${size}` })
        entry.size = size
        entry.finalized = true
        return sendJson(res, 200, { ok: true, entry_id: String(entry.id) })
      }
      case 'GetCacheEntryDownloadURL': {
        const live = entries.filter(e => e.finalized && e.version === version).sort((a, b) => b.createdAt - a.createdAt)
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : []
        const hit =
          live.find(e => e.key === key) ?? restoreKeys.map(p => live.find(e => e.key.startsWith(p))).find(Boolean)
        if (!hit) return sendJson(res, 200, { ok: false })
        return sendJson(res, 200, { ok: true, signed_download_url: store.urlOf(hit.blobId), matched_key: hit.key })
      }
      default:
        return twirpError(res, 404, 'bad_route', 'no such method')
    }
  })
  origin = o
  const backendId = randomBytes(6).toString('hex')

  const byKey = (key: string): CacheEntry => {
    const entry = entries.find(e => e.key === key && e.finalized)
    if (!entry) throw new Error(`cache emulator: no entry ${key}`)
    return entry
  }

  return {
    url: origin,
    env: {
      ACTIONS_RUNTIME_TOKEN: runtimeToken(backendId, `${backendId}-job`),
      ACTIONS_RESULTS_URL: `${origin}/`,
      ACTIONS_CACHE_SERVICE_V2: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: origin,
      GITHUB_REPOSITORY: repository,
      GITHUB_REF: 'refs/heads/main'
    },
    token,
    entries: () => [...entries],
    tamper: async key => store.tamper(byKey(key).blobFile),
    tamperContent: async key => {
      const entry = byKey(key)
      const tar = `${entry.blobFile}.tar`
      execFileSync('zstd', ['-q', '-d', '-f', entry.blobFile, '-o', tar])
      await store.tamper(tar)
      execFileSync('zstd', ['-q', '-f', tar, '-o', entry.blobFile])
      await rm(tar, { force: true })
      entry.size = (await stat(entry.blobFile)).size
    },
    evict: key => {
      entries.splice(entries.indexOf(byKey(key)), 1)
    },
    backdate: (key, created) => {
      byKey(key).created = created
    },
    setRef: r => {
      ref = r
    },
    requests,
    close: () => closeEmulator(server, dir)
  }
}
