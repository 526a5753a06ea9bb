/**
 * The backup's manifest is assembled on disk from records spooled as the archive is written; it must be the very
 * document the former in-memory path (records kept in arrays, one JSON.stringify) produced, so restores of new and old
 * backups read it alike.
 */
import { OwnerTable } from '../../../src/commands/backup/owner-table.js'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  HOME_PREFIX,
  MANIFEST_ENTRY,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ComponentSummary,
  type DatabaseRecord,
  type FileRecord,
  type Manifest
} from '../../../src/format/manifest.js'
import { ZipWriter } from '../../../src/archive/zip-writer.js'
import { manifestEnvelope } from '../../../src/commands/backup/manifest-file.js'
import { writeBackupFile } from '../../../src/commands/backup/write-backup-file.js'
import type { DumpResult } from '../../../src/database/types.js'
import type { HomeInfo } from '../../../src/home/types.js'
import { MemoryLogger } from '../../../src/shared/logger.js'
import { TOOL_NAME, TOOL_VERSION } from '../../../src/shared/tool.js'
import { collectTree, tool } from '../../support/writer-fixtures.js'

let tmp: string
let home: HomeInfo
let dump: DumpResult
const embedded: DatabaseRecord = {
  roles: ['archive'],
  engine: 'h2',
  url: 'jdbc:h2:file:repository/db',
  host: null,
  port: null,
  database: null,
  embedded: true
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'write-backup-file-'))
  const root = path.join(tmp, 'home')
  for (const dir of ['conf', 'lib', 'repository/index/a', 'work'])
    await fsp.mkdir(path.join(root, dir), { recursive: true })
  await fsp.writeFile(path.join(root, 'conf/xl-release-server.conf'), 'http.port=5516\n')
  await fsp.writeFile(path.join(root, 'conf/empty.conf'), '')
  await fsp.writeFile(path.join(root, 'lib/app.jar'), Buffer.alloc(5000, 7))
  await fsp.writeFile(path.join(root, 'repository/index/a/segment'), 'segment data\n'.repeat(100))
  await fsp.writeFile(path.join(root, 'README.txt'), 'hello\n')
  await fsp.symlink('../lib/app.jar', path.join(root, 'conf/app-link'))
  await fsp.chmod(path.join(root, 'conf/xl-release-server.conf'), 0o600)
  home = {
    path: root,
    server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false, serverUrl: null },
    databases: {},
    version: '24.1.3',
    era: 'sql',
    folders: ['conf', 'lib', 'repository', 'work'],
    configFilesRead: []
  }
  const dumpDir = path.join(tmp, 'dump')
  await fsp.mkdir(dumpDir)
  await fsp.writeFile(path.join(dumpDir, 'dump.pgdump'), 'pretend dump\n'.repeat(50))
  dump = {
    dir: dumpDir,
    record: {
      roles: ['repository'],
      engine: 'postgresql',
      url: 'jdbc:postgresql://db:5432/xlr',
      host: 'db',
      port: 5432,
      database: 'xlr',
      embedded: false,
      dump: {
        format: 'pg-custom',
        prefix: 'database/repository/',
        bytes: 650,
        file: 'dump.pgdump',
        tool: { name: 'pg_dump', version: '16.2' },
        serverVersion: '16.2',
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.000Z'
      }
    }
  }
})

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true })
})

/** The manifest as the backup built it before its entries were spooled: arrays of records, totals from them. */
async function inMemoryManifest(createdAt: string, exclusions: string[]): Promise<Manifest> {
  const writer = new ZipWriter(fs.createWriteStream('/dev/null'), { compressionLevel: 1, threads: 1 })
  const owners = new OwnerTable()
  const files = await collectTree(writer, home.path, HOME_PREFIX, exclusions, owners)
  files.push(...(await collectTree(writer, dump.dir, dump.record.dump!.prefix, [], owners)))
  await writer.finish()
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    createdAt,
    host: os.hostname(),
    home: {
      path: home.path,
      xlReleaseVersion: home.version,
      era: home.era,
      server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false }
    },
    components: summarizeComponents(files),
    exclusions,
    files,
    databases: [embedded, dump.record],
    owners: await owners.records()
  }
}

function summarizeComponents(files: FileRecord[]): ComponentSummary[] {
  const totals = new Map<string, ComponentSummary>()
  for (const file of files) {
    if (!file.path.startsWith(HOME_PREFIX)) continue
    const rest = file.path.slice(HOME_PREFIX.length)
    if (rest === '') continue
    const slash = rest.indexOf('/')
    const name = slash < 0 ? '.' : rest.slice(0, slash)
    const summary = totals.get(name) ?? { name, files: 0, bytes: 0 }
    if (file.type !== 'directory') {
      summary.files++
      summary.bytes += file.size
    }
    totals.set(name, summary)
  }
  return [...totals.values()].sort((a, b) => a.name.localeCompare(b.name))
}

test('the manifest in the archive is the document the in-memory path produced, written last and owner-only', async () => {
  const file = path.join(tmp, 'backup.zip')
  const workDir = await fsp.mkdtemp(path.join(tmp, 'work-'))
  const exclude = ['work/']
  const written = await writeBackupFile({
    home,
    dumps: [dump],
    embedded: [embedded],
    file,
    workDir,
    compressionLevel: 6,
    threads: 2,
    exclude,
    encryption: null,
    logger: new MemoryLogger()
  })
  const text = await tool('unzip', ['-p', file, MANIFEST_ENTRY])
  const inArchive = JSON.parse(text) as Manifest
  const expected = await inMemoryManifest(inArchive.createdAt, exclude)
  expect(inArchive).toEqual(expected)
  // Same keys in the same order, byte for byte.
  expect(text).toBe(JSON.stringify(expected))
  const types = new Set(expected.files.map(f => f.type))
  expect(types).toEqual(new Set(['file', 'directory', 'symlink']))
  expect(expected.files.find(f => f.path === 'home/conf/empty.conf')).toMatchObject({ size: 0 })
  expect(expected.files.some(f => f.path.startsWith('database/repository/'))).toBe(true)

  const { manifest, files } = written
  expect({ ...manifest, files: expected.files }).toEqual(expected)
  expect(files).toBe(expected.files.filter(f => f.type !== 'directory').length)

  const listing = (await tool('zipinfo', [file])).trim().split('\n')
  const entries = listing.filter(line => /^[-dl][-rwx]{9} /.test(line))
  expect(entries[entries.length - 1]).toMatch(/^-rw------- .* manifest\.json$/)
  // The spool is gone; the caller's work folder is left to the caller.
  expect(await fsp.readdir(workDir)).toEqual([])
})

test('the envelope around the records is JSON.stringify of the whole manifest, with and without encryption', async () => {
  const base = await inMemoryManifest('2026-01-01T00:00:00.000Z', [])
  for (const manifest of [
    base,
    { ...base, encryption: { format: 'age' as const, recipients: 2, passphrase: false } }
  ]) {
    const { files, ...head } = manifest
    const { before, after } = manifestEnvelope(head)
    expect(before + files.map(f => JSON.stringify(f)).join(',') + after).toBe(JSON.stringify(manifest))
    expect(before + after).toBe(JSON.stringify({ ...manifest, files: [] }))
  }
})
