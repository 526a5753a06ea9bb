/**
 * A local stand-in for GitHub's artifact service, good enough for the real `@actions/artifact` client (v6) to upload,
 * list, find and download over HTTP: the Results service (Twirp JSON), Azure-style blob storage (blocks staged out of
 * order and joined by the block list, single-shot PUT, GET) and the REST subset used for other runs and for listing
 * a repository's artifacts (newest first, with `expired`).
 *
 * Usable from Jest and from a plain script (`tsx`): `const emu = await startArtifactEmulator()`, then give a child
 * process `emu.env` (or `emu.newRun().env` for a job in a later run). Blobs live on disk, so large files stay cheap.
 */
import { randomBytes, createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, open, rm, stat, unlink } from 'node:fs/promises'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'

export interface ArtifactEmulatorOptions {
  /** 'owner/name' of the emulated repository (default 'octo-org/xlr-backups'). */
  repository?: string
  /** Id of the first run (default 4001). */
  runId?: number
  /** The token REST calls must carry (default a random 'ghs_…'). */
  token?: string
  /** Tokens the REST API answers with 403 (a token without `actions: read`). */
  forbiddenTokens?: string[]
  /** Tokens that may list but get 403 on DELETE (`actions: read` without `actions: write`). */
  readOnlyTokens?: string[]
  /** Send Content-Disposition with the file name on blob downloads, as a browser download would (default true). */
  contentDisposition?: boolean
  /** The repository's default branch (default 'main'). */
  defaultBranch?: string
}

/** How a run was started, as GET /repos/{owner}/{repo}/actions/runs/{id} reports it. */
export interface RunMeta {
  /** head_branch (default: the default branch). */
  branch?: string
  /** event (default 'push'). */
  event?: string
  /** path of the workflow file (default '.github/workflows/xlr-backup.yml'). */
  workflow?: string
  /** head_repository.full_name (default: the repository; a fork for pull requests from forks). */
  headRepository?: string
}

export interface EmulatedRun {
  runId: number
  backendId: string
  jobBackendId: string
  meta: Required<RunMeta>
  /** Environment of a job in this run: runtime token, results URL, server/API URL, repository, run id. */
  env: Record<string, string>
}

export interface EmulatedArtifact {
  id: number
  name: string
  runId: number
  size: number
  /** 'sha256:<hex>' as the client reported it at finalize (what the service stores). */
  digest: string | null
  mimeType: string
  createdAt: string
  /** The expiry the client asked for (from `retention-days`), or null for the repository default. */
  expiresAt: string | null
  expired: boolean
  blobFile: string
  finalized: boolean
}

export interface ArtifactEmulator {
  /** Origin of the server, e.g. http://127.0.0.1:40123 */
  url: string
  /** Environment for a job in the first run. */
  env: Record<string, string>
  token: string
  repository: string
  runId: number
  /** Starts another workflow run of the same repository (a later scheduled run, a restore drill, a pull request). */
  newRun(meta?: RunMeta): EmulatedRun
  /** All artifacts, oldest first. */
  artifacts(): EmulatedArtifact[]
  /** Flips a byte in the stored blob of the newest artifact called `name`: downloads then fail their digest. */
  tamper(name: string): Promise<void>
  /** Marks the newest artifact called `name` expired (listed by REST with `expired: true`, gone from Twirp). */
  expire(name: string): void
  /** Sets the creation time of the newest artifact called `name` (a calendar of backups made in the past). */
  backdate(name: string, createdAt: string): void
  /** Turns the Content-Disposition header of blob downloads on or off (the client then names the file 'artifact'). */
  setContentDisposition(on: boolean): void
  /** Block-list commits seen: stored (arrival) order against list order. */
  blockCommits(): { blobId: string; stored: string[]; listed: string[] }[]
  /** Every request line seen ('METHOD path'), for assertions on what the client did. */
  requests: string[]
  close(): Promise<void>
}

const ARTIFACT_SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/'

/** A JWT the client only decodes: its `scp` claim carries the run and job backend ids. */
export function runtimeToken(backendId: string, jobBackendId: string): string {
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const scp = `Actions.ExampleScope Actions.Results:${backendId}:${jobBackendId}`
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ scp, exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`
}

/** Blob storage on disk with the Azure block-blob verbs the toolkit's SDK uses. Shared with the cache emulator. */
export class BlobStore {
  private readonly blobs = new Map<
    string,
    {
      file: string
      sig: string
      contentType: string
      blocks: Map<string, string>
      held?: boolean
      release?: () => void
    }
  >()
  private counter = 0
  /** Each block-list commit: block ids in the order they were stored, and in the order the list joined them. */
  readonly commits: { blobId: string; stored: string[]; listed: string[] }[] = []
  /**
   * The first staged block of a blob that comes in more than one (its first block is a full one) waits until another
   * block of it is stored, so that they land out of order whatever the machine's load; this is the longest it waits
   * (0 = no hold): a client that sends one block at a time then stores them in order, and the test says so.
   */
  holdFirstBlockMs = 0

  constructor(
    readonly dir: string,
    private readonly origin: () => string
  ) {}

  /** A new, empty blob and its signed URL (path /<account>/<container>/<blob>, as the SDK wants for an IP host). */
  create(container: string, contentType = 'application/octet-stream'): { id: string; url: string; file: string } {
    const id = `${container}-${++this.counter}-${randomBytes(4).toString('hex')}`
    const sig = randomBytes(12).toString('hex')
    const file = path.join(this.dir, id)
    this.blobs.set(id, { file, sig, contentType, blocks: new Map() })
    return { id, file, url: `${this.origin()}/devstoreaccount1/${container}/${id}?sv=2025-01-01&sig=${sig}` }
  }

  urlOf(id: string): string {
    const blob = this.blobs.get(id)
    if (!blob) throw new Error(`no blob ${id}`)
    const container = id.split('-')[0]
    return `${this.origin()}/devstoreaccount1/${container}/${id}?sv=2025-01-01&sig=${blob.sig}`
  }

  contentTypeOf(id: string): string {
    return this.blobs.get(id)?.contentType ?? 'application/octet-stream'
  }

  /** Handles a request under /devstoreaccount1/; false when the path is not a blob. */
  async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    disposition: (id: string) => string | null
  ): Promise<boolean> {
    const parts = url.pathname.split('/').filter(Boolean)
    if (parts[0] !== 'devstoreaccount1' || parts.length !== 3) return false
    const id = parts[2]
    const blob = this.blobs.get(id)
    if (!blob || url.searchParams.get('sig') !== blob.sig) {
      res.writeHead(403, { 'content-type': 'application/xml', 'x-ms-error-code': 'AuthenticationFailed' })
      res.end('<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code></Error>')
      return true
    }
    const comp = url.searchParams.get('comp')
    const created = {
      'x-ms-request-id': randomBytes(8).toString('hex'),
      etag: `"0x${randomBytes(6).toString('hex')}"`,
      'last-modified': new Date().toUTCString(),
      'x-ms-version': '2025-01-01',
      'x-ms-request-server-encrypted': 'true'
    }
    if (req.method === 'PUT' && comp === 'block') {
      const blockId = url.searchParams.get('blockid') ?? ''
      const blockFile = `${blob.file}.block-${createHash('sha1').update(blockId).digest('hex')}`
      // Holding the first block back makes the later ones land first, so joining must follow the block list.
      if (blob.blocks.size === 0 && !blob.held && this.holdFirstBlockMs > 0 && isFullBlock(req)) {
        blob.held = true
        await new Promise<void>(resolve => {
          // Released by the next block; the timer is only the fallback, and must not outlive the hold: a pending
          // 30 s timer kept Jest's worker alive after the tests and made Jest force it to exit.
          const fallback = setTimeout(resolve, this.holdFirstBlockMs)
          blob.release = () => {
            clearTimeout(fallback)
            resolve()
          }
        })
      }
      await pipeline(req, createWriteStream(blockFile))
      blob.blocks.set(blockId, blockFile)
      blob.release?.()
      res.writeHead(201, created)
      res.end()
      return true
    }
    if (req.method === 'PUT' && comp === 'blocklist') {
      const xml = await readBody(req)
      const ids = [...xml.toString('utf8').matchAll(/<(?:Latest|Committed|Uncommitted)>([^<]*)<\//g)].map(m => m[1])
      const missing = ids.filter(b => !blob.blocks.has(b))
      if (missing.length > 0) {
        res.writeHead(400, { 'content-type': 'application/xml', 'x-ms-error-code': 'InvalidBlockList' })
        res.end('<?xml version="1.0"?><Error><Code>InvalidBlockList</Code></Error>')
        return true
      }
      this.commits.push({ blobId: id, stored: [...blob.blocks.keys()], listed: ids })
      const blockFiles = ids.map(b => blob.blocks.get(b) as string)
      await pipeline(async function* () {
        for (const f of blockFiles) yield* createReadStream(f)
      }, createWriteStream(blob.file))
      for (const f of blob.blocks.values()) await unlink(f).catch(() => undefined)
      blob.blocks.clear()
      const type = req.headers['x-ms-blob-content-type']
      if (typeof type === 'string' && type) blob.contentType = type
      res.writeHead(201, created)
      res.end()
      return true
    }
    if (req.method === 'PUT' && !comp) {
      await pipeline(req, createWriteStream(blob.file))
      const type = req.headers['x-ms-blob-content-type']
      if (typeof type === 'string' && type) blob.contentType = type
      res.writeHead(201, created)
      res.end()
      return true
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      let size: number
      try {
        size = (await stat(blob.file)).size
      } catch {
        res.writeHead(404, { 'x-ms-error-code': 'BlobNotFound' })
        res.end()
        return true
      }
      const headers: http.OutgoingHttpHeaders = {
        'content-type': blob.contentType,
        'content-length': size,
        'x-ms-blob-type': 'BlockBlob',
        'accept-ranges': 'bytes',
        ...created
      }
      const name = disposition(id)
      if (name)
        headers['content-disposition'] = `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers['x-ms-range'] ?? req.headers.range ?? ''))
      if (range) {
        const start = Number(range[1])
        const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1
        res.writeHead(206, {
          ...headers,
          'content-length': end - start + 1,
          'content-range': `bytes ${start}-${end}/${size}`
        })
        if (req.method === 'HEAD') return (void res.end(), true)
        await pipeline(createReadStream(blob.file, { start, end }), res)
        return true
      }
      res.writeHead(200, headers)
      if (req.method === 'HEAD') return (void res.end(), true)
      await pipeline(createReadStream(blob.file), res)
      return true
    }
    res.writeHead(405)
    res.end()
    return true
  }

  /** Flips one byte in the middle of a stored blob. */
  async tamper(file: string): Promise<void> {
    const handle = await open(file, 'r+')
    try {
      const { size } = await handle.stat()
      const at = Math.floor(size / 2)
      const byte = Buffer.alloc(1)
      await handle.read(byte, 0, 1, at)
      byte[0] ^= 0xff
      await handle.write(byte, 0, 1, at)
    } finally {
      await handle.close()
    }
  }
}

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {}
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** A Twirp error: 4xx so the client gives up at once instead of retrying with backoff. */
export function twirpError(res: http.ServerResponse, status: number, code: string, msg: string): void {
  sendJson(res, status, { code, msg })
}

/** Listens on 127.0.0.1 with a handler that turns a thrown error into a 400 (never a retried 5xx). */
export async function listen(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>
): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer((req, res) => {
    handler(req, res).catch(error => {
      if (!res.headersSent) twirpError(res, 400, 'malformed', `emulator: ${(error as Error).message}`)
      else res.destroy()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, origin: `http://127.0.0.1:${port}` }
}

export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => resolve()))
}

/** An emulator's `close`: its server stopped, then the folder holding its blobs removed. */
export async function closeEmulator(server: http.Server, dir: string): Promise<void> {
  await closeServer(server)
  await rm(dir, { recursive: true, force: true })
}

export async function startArtifactEmulator(opts: ArtifactEmulatorOptions = {}): Promise<ArtifactEmulator> {
  const repository = opts.repository ?? 'octo-org/xlr-backups'
  const token = opts.token ?? `ghs_${randomBytes(12).toString('hex')}`
  const forbidden = new Set(opts.forbiddenTokens ?? [])
  const readOnly = new Set(opts.readOnlyTokens ?? [])
  let contentDisposition = opts.contentDisposition ?? true
  const defaultBranch = opts.defaultBranch ?? 'main'
  const dir = await mkdtemp(path.join(os.tmpdir(), 'artifact-emulator-'))
  const requests: string[] = []
  const runs: EmulatedRun[] = []
  const artifacts: EmulatedArtifact[] = []
  const blobOf = new Map<number, string>()
  let nextRunId = opts.runId ?? 4001
  let nextArtifactId = 7001
  let origin = ''
  const store = new BlobStore(dir, () => origin)
  store.holdFirstBlockMs = 30_000

  const runByBackend = (id: string): EmulatedRun | undefined => runs.find(r => r.backendId === id)
  const artifactByBlob = (blobId: string): EmulatedArtifact | undefined =>
    artifacts.find(a => blobOf.get(a.id) === blobId)
  const restArtifact = (a: EmulatedArtifact): object => ({
    id: a.id,
    node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
    name: a.name,
    size_in_bytes: a.size,
    url: `${origin}/repos/${repository}/actions/artifacts/${a.id}`,
    archive_download_url: `${origin}/repos/${repository}/actions/artifacts/${a.id}/zip`,
    expired: a.expired,
    created_at: a.createdAt,
    updated_at: a.createdAt,
    expires_at: a.expiresAt ?? new Date(Date.parse(a.createdAt) + 90 * 86400_000).toISOString(),
    digest: a.digest,
    workflow_run: {
      id: a.runId,
      repository_id: 1,
      head_repository_id: runs.find(r => r.runId === a.runId)?.meta.headRepository === repository ? 1 : 2,
      head_branch: runs.find(r => r.runId === a.runId)?.meta.branch ?? defaultBranch,
      head_sha: '0'.repeat(40)
    }
  })
  const twirpArtifact = (a: EmulatedArtifact): object => {
    const run = runs.find(r => r.runId === a.runId) as EmulatedRun
    return {
      workflow_run_backend_id: run.backendId,
      workflow_job_run_backend_id: run.jobBackendId,
      database_id: String(a.id),
      name: a.name,
      size: String(a.size),
      created_at: a.createdAt,
      ...(a.digest ? { digest: a.digest } : {})
    }
  }

  const twirp = async (method: string, body: Record<string, unknown>, res: http.ServerResponse): Promise<void> => {
    const run = runByBackend(String(body.workflow_run_backend_id ?? ''))
    if (!run) return twirpError(res, 404, 'not_found', 'unknown workflow run backend id')
    const name = typeof body.name === 'string' ? body.name : ''
    const live = artifacts.filter(a => a.runId === run.runId && a.finalized && !a.expired)
    switch (method) {
      case 'CreateArtifact': {
        if (Number(body.version) !== 7) return twirpError(res, 400, 'invalid_argument', 'unsupported artifact version')
        if (artifacts.some(a => a.runId === run.runId && a.name === name)) {
          return twirpError(res, 409, 'already_exists', `an artifact with this name already exists on the workflow run`)
        }
        const mimeType = typeof body.mime_type === 'string' ? body.mime_type : 'application/zip'
        const blob = store.create('artifacts', mimeType)
        const artifact: EmulatedArtifact = {
          id: nextArtifactId++,
          name,
          runId: run.runId,
          size: 0,
          digest: null,
          mimeType,
          createdAt: new Date().toISOString(),
          expiresAt: typeof body.expires_at === 'string' ? body.expires_at : null,
          expired: false,
          blobFile: blob.file,
          finalized: false
        }
        artifacts.push(artifact)
        blobOf.set(artifact.id, blob.id)
        return sendJson(res, 200, { ok: true, signed_upload_url: blob.url })
      }
      case 'FinalizeArtifact': {
        const artifact = artifacts.find(a => a.runId === run.runId && a.name === name && !a.finalized)
        if (!artifact) return twirpError(res, 404, 'not_found', 'no artifact to finalize')
        let size: number
        try {
          size = (await stat(artifact.blobFile)).size
        } catch {
          return twirpError(res, 400, 'failed_precondition', 'blob was never uploaded')
        }
        if (String(size) !== String(body.size))
          return twirpError(res, 400, 'invalid_argument', `size ${String(body.size)} does not match the blob (${size})`)
        artifact.size = size
        artifact.digest = typeof body.hash === 'string' ? body.hash : null
        artifact.finalized = true
        return sendJson(res, 200, { ok: true, artifact_id: String(artifact.id) })
      }
      case 'ListArtifacts': {
        let list = live
        if (typeof body.name_filter === 'string') list = list.filter(a => a.name === body.name_filter)
        if (body.id_filter !== undefined) list = list.filter(a => String(a.id) === String(body.id_filter))
        return sendJson(res, 200, { artifacts: list.map(twirpArtifact) })
      }
      case 'GetSignedArtifactURL': {
        const artifact = live.filter(a => a.name === name).pop()
        if (!artifact) return twirpError(res, 404, 'not_found', 'artifact not found')
        return sendJson(res, 200, { signed_url: store.urlOf(blobOf.get(artifact.id) as string) })
      }
      case 'DeleteArtifact': {
        const artifact = live.filter(a => a.name === name).pop()
        if (!artifact) return twirpError(res, 404, 'not_found', 'artifact not found')
        artifacts.splice(artifacts.indexOf(artifact), 1)
        await rm(artifact.blobFile, { force: true })
        return sendJson(res, 200, { ok: true, artifact_id: String(artifact.id) })
      }
      default:
        return twirpError(res, 404, 'bad_route', `no method ${method}`)
    }
  }

  const rest = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const auth = String(req.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '')
    if (forbidden.has(auth))
      return sendJson(res, 403, { message: 'Resource not accessible by integration', status: '403' })
    if (req.method === 'DELETE' && readOnly.has(auth))
      return sendJson(res, 403, { message: 'Resource not accessible by integration', status: '403' })
    if (auth !== token && !readOnly.has(auth)) return sendJson(res, 401, { message: 'Bad credentials', status: '401' })
    if (req.method === 'GET' && url.pathname === `/repos/${repository}`) {
      return sendJson(res, 200, { id: 1, full_name: repository, default_branch: defaultBranch })
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)\/actions\/(.*)$/.exec(url.pathname)
    if (!m || `${m[1]}/${m[2]}` !== repository) return sendJson(res, 404, { message: 'Not Found', status: '404' })
    const tail = m[3]
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1))
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)))
    const nameFilter = url.searchParams.get('name')
    const newestFirst = (list: EmulatedArtifact[]): EmulatedArtifact[] =>
      list.filter(a => a.finalized && (nameFilter === null || a.name === nameFilter)).sort((a, b) => b.id - a.id)
    const pageOf = (list: EmulatedArtifact[]): void =>
      sendJson(res, 200, {
        total_count: list.length,
        artifacts: list.slice((page - 1) * perPage, page * perPage).map(restArtifact)
      })
    let match: RegExpExecArray | null
    if (req.method === 'GET' && tail === 'artifacts') return pageOf(newestFirst(artifacts))
    if (req.method === 'GET' && (match = /^runs\/(\d+)$/.exec(tail))) {
      const run = runs.find(r => r.runId === Number(match?.[1]))
      if (!run) return sendJson(res, 404, { message: 'Not Found', status: '404' })
      return sendJson(res, 200, {
        id: run.runId,
        event: run.meta.event,
        head_branch: run.meta.branch,
        path: run.meta.workflow,
        head_repository: { full_name: run.meta.headRepository },
        repository: { full_name: repository }
      })
    }
    if (req.method === 'GET' && (match = /^runs\/(\d+)\/artifacts$/.exec(tail))) {
      const runId = Number(match[1])
      if (!runs.some(r => r.runId === runId)) return sendJson(res, 404, { message: 'Not Found', status: '404' })
      return pageOf(newestFirst(artifacts.filter(a => a.runId === runId)))
    }
    if ((match = /^artifacts\/(\d+)(\/zip)?$/.exec(tail))) {
      const artifact = artifacts.find(a => a.id === Number(match?.[1]) && a.finalized)
      if (!artifact) return sendJson(res, 404, { message: 'Not Found', status: '404' })
      if (req.method === 'DELETE' && !match[2]) {
        artifacts.splice(artifacts.indexOf(artifact), 1)
        await rm(artifact.blobFile, { force: true })
        res.writeHead(204)
        return void res.end()
      }
      if (req.method === 'GET' && match[2]) {
        if (artifact.expired) return sendJson(res, 410, { message: 'Artifact has expired', status: '410' })
        res.writeHead(302, { location: store.urlOf(blobOf.get(artifact.id) as string), 'content-length': 0 })
        return void res.end()
      }
      if (req.method === 'GET') return sendJson(res, 200, restArtifact(artifact))
    }
    return sendJson(res, 404, { message: 'Not Found', status: '404' })
  }

  const { server, origin: o } = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator')
    requests.push(
      `${req.method} ${url.pathname}${url.searchParams.has('comp') ? `?comp=${url.searchParams.get('comp')}` : ''}`
    )
    if (req.method === 'POST' && url.pathname.startsWith(ARTIFACT_SERVICE)) {
      let body: Record<string, unknown>
      try {
        body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>
      } catch {
        return twirpError(res, 400, 'malformed', 'request body is not JSON')
      }
      return twirp(url.pathname.slice(ARTIFACT_SERVICE.length), body, res)
    }
    if (await store.handle(req, res, url, id => (contentDisposition ? (artifactByBlob(id)?.name ?? null) : null)))
      return
    if (url.pathname.startsWith('/repos/')) return rest(req, res, url)
    sendJson(res, 404, { message: 'Not Found' })
  })
  origin = o

  const newRun = (meta: RunMeta = {}): EmulatedRun => {
    const runId = nextRunId++
    const backendId = `${randomBytes(4).toString('hex')}-run-${runId}`
    const jobBackendId = `${randomBytes(4).toString('hex')}-job-${runId}`
    const run: EmulatedRun = {
      runId,
      backendId,
      jobBackendId,
      meta: {
        branch: meta.branch ?? defaultBranch,
        event: meta.event ?? 'push',
        workflow: meta.workflow ?? '.github/workflows/xlr-backup.yml',
        headRepository: meta.headRepository ?? repository
      },
      env: {
        ACTIONS_RUNTIME_TOKEN: runtimeToken(backendId, jobBackendId),
        ACTIONS_RESULTS_URL: `${origin}/`,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: origin,
        GITHUB_REPOSITORY: repository,
        GITHUB_RUN_ID: String(runId),
        GITHUB_RETENTION_DAYS: '90'
      }
    }
    runs.push(run)
    return run
  }
  const first = newRun()

  const newest = (name: string): EmulatedArtifact => {
    const found = artifacts.filter(a => a.name === name && a.finalized).pop()
    if (!found) throw new Error(`emulator: no artifact called ${name}`)
    return found
  }

  return {
    url: origin,
    env: first.env,
    token,
    repository,
    runId: first.runId,
    newRun,
    artifacts: () => [...artifacts],
    tamper: async name => store.tamper(newest(name).blobFile),
    expire: name => {
      newest(name).expired = true
    },
    backdate: (name, createdAt) => {
      newest(name).createdAt = createdAt
    },
    blockCommits: () => [...store.commits],
    setContentDisposition: on => {
      contentDisposition = on
    },
    requests,
    close: () => closeEmulator(server, dir)
  }
}

/** The artifact client cuts uploads into 8 MiB blocks: only a full block can have others after it. */
function isFullBlock(req: http.IncomingMessage): boolean {
  return Number(req.headers['content-length']) >= 8 * 1024 * 1024
}
