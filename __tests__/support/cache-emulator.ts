/**
 * A local stand-in for the Actions cache service v2 (Twirp `CacheService` plus blob storage), good enough for the
 * real `@actions/cache` client: CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL (exact key,
 * then restore-key prefixes, newest first, same version only). Usable from Jest and from a plain script.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { BlobStore, closeServer, listen, readBody, runtimeToken, sendJson, twirpError } from './artifact-emulator.js'

export interface CacheEntry {
  id: number
  key: string
  version: string
  blobId: string
  blobFile: string
  size: number
  finalized: boolean
  createdAt: number
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
  requests: string[]
  close(): Promise<void>
}

const CACHE_SERVICE = '/twirp/github.actions.results.api.v1.CacheService/'

export async function startCacheEmulator(): Promise<CacheEmulator> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-emulator-'))
  const entries: CacheEntry[] = []
  const requests: string[] = []
  let origin = ''
  let nextId = 1
  let clock = 0
  const store = new BlobStore(dir, () => origin)

  const { server, origin: o } = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator')
    requests.push(`${req.method} ${url.pathname}`)
    if (await store.handle(req, res, url, () => null)) return
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
          createdAt: ++clock
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
      GITHUB_SERVER_URL: 'https://github.com'
    },
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
    requests,
    close: async () => {
      await closeServer(server)
      await rm(dir, { recursive: true, force: true })
    }
  }
}
