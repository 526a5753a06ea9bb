import { execFile } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { ZipWriter, type WrittenEntry, type ZipWriterOptions } from '../../src/archive/zip-writer.js'
import type { OwnerTable } from '../../src/commands/backup/owner-table.js'
import type { FileRecord } from '../../src/format/manifest.js'
import { sha256File } from './hash.js'

const run = promisify(execFile)

/** Runs a system tool (unzip, zipinfo) and returns its stdout; large listings need the big buffer. */
export async function tool(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, { maxBuffer: 256 * 1024 * 1024 })
  return stdout
}

export interface TreeItem {
  type: 'file' | 'directory' | 'symlink'
  mode: number
  /** Whole seconds; unzip restores times to the second. */
  mtime: number
  sha256?: string
  target?: string
}

/** Everything under `root` as seen by lstat (links not followed), keyed by relative path. */
export async function snapshot(root: string): Promise<Map<string, TreeItem>> {
  const out = new Map<string, TreeItem>()
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await fsp.readdir(dir)).sort()) {
      const abs = path.join(dir, name)
      const r = rel ? `${rel}/${name}` : name
      const st = await fsp.lstat(abs)
      const base = { mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) }
      if (st.isSymbolicLink()) out.set(r, { ...base, type: 'symlink', target: await fsp.readlink(abs) })
      else if (st.isDirectory()) {
        out.set(r, { ...base, type: 'directory' })
        await walk(abs, r)
      } else out.set(r, { ...base, type: 'file', sha256: await sha256File(abs) })
    }
  }
  await walk(root, '')
  return out
}

/** The snapshot as unzip can restore it: unzip does not set the times of links themselves. */
export async function restorable(root: string): Promise<Map<string, TreeItem>> {
  const items = await snapshot(root)
  for (const [rel, item] of items) if (item.type === 'symlink') items.set(rel, { ...item, mtime: 0 })
  return items
}

export { sha256File }

/** Adds `dir` under `prefix` and returns the records the writer reported, checking it counted them all. */
export async function collectTree(
  writer: ZipWriter,
  dir: string,
  prefix: string,
  exclude: string[] = [],
  owners?: OwnerTable
): Promise<FileRecord[]> {
  const records: FileRecord[] = []
  // The owner ids go into the manifest's owners table (when one is given), never into its records.
  const onRecord = (entry: WrittenEntry): void => {
    const { uid: _uid, gid: _gid, ...record } = entry
    records.push(owners ? owners.record(entry) : record)
  }
  const written = await writer.addTree(dir, prefix, { exclude, onRecord })
  if (written !== records.length) throw new Error(`addTree counted ${written} entries but reported ${records.length}`)
  return records
}

/** Writes `dir` under 'home/' (plus a manifest-like buffer) into `zipPath` and returns the records. */
export async function zipTree(
  dir: string,
  zipPath: string,
  options: Partial<ZipWriterOptions> & { exclude?: string[] } = {}
): Promise<{ records: FileRecord[]; bytesWritten: number }> {
  const out = fs.createWriteStream(zipPath)
  const writer = new ZipWriter(out, { compressionLevel: 6, threads: 2, ...options })
  const records = await collectTree(writer, dir, 'home/', options.exclude)
  records.push(await writer.addBuffer('manifest.json', Buffer.from(JSON.stringify({ files: records.length }))))
  const { bytesWritten } = await writer.finish()
  if (!out.closed) await once(out, 'close')
  return { records, bytesWritten }
}

/** `zipinfo -l`: entry name → {kind letter, method}. */
export async function zipListing(
  zipPath: string
): Promise<Map<string, { kind: string; method: string; perms: string }>> {
  const lines = (await tool('zipinfo', [zipPath])).split('\n')
  const out = new Map<string, { kind: string; method: string; perms: string }>()
  for (const line of lines) {
    const m = /^([-dl][-rwxsStT]{9})\s+\S+\s+unx\s+\d+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+(.*)$/.exec(line)
    if (m) out.set(m[3], { kind: m[1][0], method: m[2], perms: m[1] })
  }
  return out
}
