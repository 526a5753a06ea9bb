import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { promisify } from 'node:util'
import {
  MANIFEST_ENTRY,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type DatabaseRecord,
  type FileRecord,
  type Manifest
} from '../../src/format/manifest.js'

const run = promisify(execFile)

/**
 * One entry of a hand-made archive. Tests for hostile archives need names, attributes and contents no honest writer
 * produces, so the archive is written by Python's zipfile, which stores whatever it is given.
 */
export interface ZipEntrySpec {
  name: string
  kind?: FileRecord['type']
  /** Inline content (a symlink's content is its target). */
  data?: string | Buffer
  /** Or: content read from this file (streamed, for large fixtures). */
  source?: string
  /** Permission bits; default 0644 (files), 0755 (folders), 0777 (links). */
  mode?: number
  /** ms since the epoch; default 2024-05-01T12:00:00Z. */
  mtime?: number
  stored?: boolean
}

export const DEFAULT_MTIME = Date.UTC(2024, 4, 1, 12, 0, 0)

const WRITE_ZIP = String.raw`
import base64, json, sys, time, zipfile
spec = json.load(open(sys.argv[1]))
if spec['zip64']:
    # Every size, offset and count "overflows": ZIP64 fields and end records as a multi-GB backup would have them.
    zipfile.ZIP64_LIMIT = 0
    zipfile.ZIP_FILECOUNT_LIMIT = 0
S_IF = {'file': 0o100000, 'directory': 0o040000, 'symlink': 0o120000}
with zipfile.ZipFile(spec['zip'], 'w', allowZip64=True) as zf:
    for e in spec['entries']:
        t = time.gmtime(max(e['mtime'] / 1000, 315532800))
        zi = zipfile.ZipInfo(e['name'], date_time=t[:6])
        zi.create_system = 3
        zi.external_attr = ((S_IF[e['kind']] | e['mode']) << 16) | (0x10 if e['kind'] == 'directory' else 0)
        zi.compress_type = zipfile.ZIP_STORED if e['stored'] or e['kind'] == 'directory' else zipfile.ZIP_DEFLATED
        if 'source' in e:
            with open(e['source'], 'rb') as src, zf.open(zi, 'w', force_zip64=True) as dst:
                while True:
                    block = src.read(1 << 20)
                    if not block:
                        break
                    dst.write(block)
        else:
            zf.writestr(zi, base64.b64decode(e['data']), compresslevel=6)
`

/** Writes `entries` as a ZIP, in order, exactly as given (duplicates and unsafe names included). */
export async function writeZip(
  zipPath: string,
  entries: ZipEntrySpec[],
  options: { zip64?: boolean } = {}
): Promise<void> {
  const spec = {
    zip: zipPath,
    zip64: !!options.zip64,
    entries: entries.map(e => {
      const kind = kindOf(e)
      const base = {
        name: e.name,
        kind,
        mode: e.mode ?? defaultMode(kind),
        mtime: e.mtime ?? DEFAULT_MTIME,
        stored: !!e.stored
      }
      return e.source !== undefined
        ? { ...base, source: e.source }
        : { ...base, data: Buffer.from(e.data ?? '').toString('base64') }
    })
  }
  const specFile = `${zipPath}.spec.json`
  await writeFile(specFile, JSON.stringify(spec))
  await run(await python(), ['-c', WRITE_ZIP, specFile], { maxBuffer: 1 << 20 })
}

let pythonPath: Promise<string> | null = null
/** The interpreter itself: a version-manager shim (pyenv) costs seconds a call on a loaded machine. */
function python(): Promise<string> {
  pythonPath ??= run('python3', ['-c', 'import sys; print(sys.executable)']).then(r => r.stdout.trim())
  return pythonPath
}

function kindOf(e: ZipEntrySpec): FileRecord['type'] {
  return e.kind ?? (e.name.endsWith('/') ? 'directory' : 'file')
}

function defaultMode(kind: FileRecord['type']): number {
  return kind === 'directory' ? 0o755 : kind === 'symlink' ? 0o777 : 0o644
}

async function sha256Of(e: ZipEntrySpec): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256')
  if (e.source !== undefined) {
    let size = 0
    for await (const chunk of createReadStream(e.source, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer)
      size += (chunk as Buffer).length
    }
    return { size, sha256: hash.digest('hex') }
  }
  const data = Buffer.from(e.data ?? '')
  return { size: data.length, sha256: hash.update(data).digest('hex') }
}

/** The manifest an honest writer would produce for `entries`. */
export async function manifestFor(entries: ZipEntrySpec[]): Promise<Manifest> {
  const files: FileRecord[] = []
  for (const e of entries) {
    const kind = kindOf(e)
    const record: FileRecord = {
      path: e.name,
      type: kind,
      mode: e.mode ?? defaultMode(kind),
      mtime: e.mtime ?? DEFAULT_MTIME,
      size: 0
    }
    if (kind !== 'directory') Object.assign(record, await sha256Of(e))
    if (kind === 'symlink') record.target = String(e.data)
    files.push(record)
  }
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    tool: { name: 'xlr-backup', version: 'test' },
    createdAt: new Date(DEFAULT_MTIME).toISOString(),
    host: 'test-host',
    home: {
      path: '/opt/xl-release',
      xlReleaseVersion: '24.1.0',
      era: 'sql',
      server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false }
    },
    components: [],
    exclusions: [],
    files,
    databases: []
  }
}

/**
 * Writes a backup: `entries`, then manifest.json (computed from `manifestEntries`, default `entries`, then passed
 * through `edit` — how tests make the manifest lie).
 */
export async function writeBackup(
  zipPath: string,
  entries: ZipEntrySpec[],
  options: { manifestEntries?: ZipEntrySpec[]; edit?: (m: Manifest) => unknown; zip64?: boolean } = {}
): Promise<Manifest> {
  let manifest = await manifestFor(options.manifestEntries ?? entries)
  if (options.edit) manifest = ((options.edit(manifest) as Manifest | undefined) ?? manifest) as Manifest
  await writeZip(zipPath, [...entries, { name: MANIFEST_ENTRY, data: JSON.stringify(manifest) }], options)
  return manifest
}

/** The entries of a backup of `folder` under `prefix` (default 'home/'), folders first in walk order, links as links. */
export async function entriesFromFolder(folder: string, prefix = 'home/'): Promise<ZipEntrySpec[]> {
  const entries: ZipEntrySpec[] = [{ name: prefix, ...(await meta(folder)) }]
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name)
      const st = await lstat(full)
      const common = { mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs) }
      if (st.isSymbolicLink()) {
        entries.push({ name: `${prefix}${rel}${name}`, kind: 'symlink', data: await readlink(full), ...common })
      } else if (st.isDirectory()) {
        entries.push({ name: `${prefix}${rel}${name}/`, kind: 'directory', ...common })
        await walk(full, `${rel}${name}/`)
      } else {
        entries.push({ name: `${prefix}${rel}${name}`, kind: 'file', source: full, ...common })
      }
    }
  }
  await walk(folder, '')
  return entries
}

async function meta(p: string): Promise<{ kind: 'directory'; mode: number; mtime: number }> {
  const st = await lstat(p)
  return { kind: 'directory', mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs) }
}

/**
 * A description of a tree — every path with its type, mode, content hash or link target, and (unless `times` is
 * false) its exact mtime — to compare an unpacked tree with its source, or to prove a folder unchanged.
 */
export async function describeTree(root: string, options: { times?: boolean } = {}): Promise<Record<string, string>> {
  const times = options.times ?? true
  const out: Record<string, string> = {}
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name)
      const st = await lstat(full)
      const key = `${rel}${name}`
      const mode = (st.mode & 0o7777).toString(8)
      const mtime = times ? ` ${st.mtimeMs}` : ''
      if (st.isSymbolicLink()) out[key] = `link ${await readlink(full)}${mtime}`
      else if (st.isDirectory()) {
        out[`${key}/`] = `dir ${mode}${mtime}`
        await walk(full, `${key}/`)
      } else {
        const sha = createHash('sha256')
          .update(await readFile(full))
          .digest('hex')
        out[key] = `file ${mode} ${sha}${mtime}`
      }
    }
  }
  await walk(root, '')
  return out
}

/**
 * Paths of `restored` whose mtime is not within `toleranceMs` of the same path in `source` (or missing there). A
 * manifest keeps times to the millisecond and utimes() takes a double of seconds, so exact equality is not the bar.
 */
export async function timeMismatches(source: string, restored: string, toleranceMs = 1): Promise<string[]> {
  const [a, b] = await Promise.all([treeTimes(source), treeTimes(restored)])
  return Object.keys(b)
    .filter(k => !(k in a) || Math.abs(a[k] - b[k]) >= toleranceMs)
    .map(k => `${k}: ${a[k]} vs ${b[k]}`)
}

async function treeTimes(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = { '.': (await lstat(root)).mtimeMs }
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of await readdir(dir)) {
      const st = await lstat(path.join(dir, name))
      out[`${rel}${name}`] = st.mtimeMs
      if (st.isDirectory()) await walk(path.join(dir, name), `${rel}${name}/`)
    }
  }
  await walk(root, '')
  return out
}

/** Replaces every occurrence of `from` by `to` (same length) in a file: how a NUL byte gets into a stored name. */
export async function patchBytes(file: string, from: string, to: Buffer): Promise<void> {
  const data = await readFile(file)
  const needle = Buffer.from(from)
  if (needle.length !== to.length) throw new Error('patchBytes: lengths differ')
  let i = data.indexOf(needle)
  if (i < 0) throw new Error(`patchBytes: ${from} not found in ${file}`)
  while (i >= 0) {
    to.copy(data, i)
    i = data.indexOf(needle, i + needle.length)
  }
  await writeFile(file, data)
}

/** A PostgreSQL dump record as the backup writer makes it, for a dump stored under `prefix`. */
export function pgDumpRecord(roles: string[], prefix: string, dump: { bytes: number; sha256: string }): DatabaseRecord {
  return {
    roles: roles as DatabaseRecord['roles'],
    engine: 'postgresql',
    url: 'jdbc:postgresql://db:5432/xlrelease',
    host: 'db',
    port: 5432,
    database: 'xlrelease',
    embedded: false,
    dump: {
      format: 'pg-custom',
      prefix,
      file: 'dump.pgdump',
      bytes: dump.bytes,
      sha256: dump.sha256,
      tool: { name: 'pg_dump', version: '16.0' },
      serverVersion: '16.0',
      startedAt: '2024-05-01T12:00:00.000Z',
      finishedAt: '2024-05-01T12:00:01.000Z'
    }
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
