/**
 * The bundled action as the runner runs it, with `storage: directory`: a backup of a generated home, its outputs and
 * job summary, the file opened with the system `unzip` and compared with the home, every manifest hash checked; then
 * the same backup verified and restored (the whole home, into an empty folder) by later action runs.
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { SAMPLE_VERSION } from '../../scripts/make-home.js'
import type { Manifest } from '../../src/format/manifest.js'
import { errorLines, runAction, frontEndScene, sha256File, tree, type ActionRun } from '../support/e2e-frontends.js'

const exec = promisify(execFile)

let tmp: string
let home: string
let dest: string
let port: string
let backup: ActionRun

frontEndScene('e2e-action-dir-', made => ({ tmp, home, port, backups: dest } = made))
beforeAll(async () => {
  backup = await runAction({ mode: 'backup', home, storage: 'directory', path: dest, port, threads: '2' })
}, 300_000)

test('a backup exits 0 and writes every output, each matching the stored file', async () => {
  expect(errorLines(backup)).toEqual([])
  expect(backup.code).toBe(0)
  const o = backup.outputs
  // The default name: unique and sortable (host and UTC time).
  expect(o['backup-name']).toMatch(/^xlr-backup-[A-Za-z0-9_.-]+-\d{8}T\d{6}Z\.zip$/)
  expect(o['backup-path']).toBe(path.join(dest, o['backup-name']))
  const st = await stat(o['backup-path'])
  expect(o['backup-size']).toBe(String(st.size))
  expect(o['backup-sha256']).toBe(await sha256File(o['backup-path']))
  expect(o['xl-release-version']).toBe(SAMPLE_VERSION)
  expect(Number(o['duration-seconds'])).toBeGreaterThanOrEqual(0)
  // No artifact or cache outputs for a directory backup.
  expect(o['artifact-id']).toBeUndefined()
  expect(o['cache-key']).toBeUndefined()
  // The destination holds the backup and its checksum file, nothing half-written; the runner's temp is left clean.
  expect((await readdir(dest)).sort()).toEqual([o['backup-name'], `${o['backup-name']}.sha256`])
  expect(backup.tempLeft).toEqual([])
  // The log ends the archiving with a progress line: bytes of the total, files, rate and the time it took.
  expect(backup.stdout).toMatch(
    /^Archived: [\d.]+ [KMG]?i?B of [\d.]+ [KMG]?i?B \(100\.0%\), \d+ files, [\d.]+ [KMG]?i?B\/s in [\dhms.]+$/m
  )
  // The .sha256 next to it checks with the standard tool.
  const { stdout } = await exec('sha256sum', ['-c', `${o['backup-name']}.sha256`], { cwd: dest })
  expect(stdout.trim()).toBe(`${o['backup-name']}: OK`)
})

test('the job summary shows the components with files and sizes, duration and throughput', async () => {
  const manifest = await manifestOf(backup.outputs['backup-path'])
  const s = backup.summary
  expect(s).toContain(backup.outputs['backup-name'])
  expect(s).toMatch(/<h3>Components<\/h3>/)
  expect(s).toContain('<th>Component</th><th>Files</th><th>Size</th>')
  for (const c of manifest.components) {
    expect(s).toContain(`<tr><td>${c.name}</td><td>${c.files}</td>`)
  }
  for (const name of ['conf', 'lib', 'repository', 'plugins', 'ext', 'hotfix']) {
    expect(manifest.components.map(c => c.name)).toContain(name)
  }
  expect(s).toContain(backup.outputs['backup-sha256'])
  expect(s).toMatch(/Archive time<\/td><td>[^<]+\([^)]+\/s\)/)
  expect(s).toMatch(/Total time/)
})

test('the system unzip restores the home exactly: contents, modes, mtimes, symlinks as links, empty folders', async () => {
  const out = path.join(tmp, 'unzipped')
  await exec('unzip', ['-q', backup.outputs['backup-path'], '-d', out])
  const original = await tree(home, { mtimes: true })
  const unpacked = await tree(path.join(out, 'home'), { mtimes: true })
  expect([...unpacked.keys()]).toEqual([...original.keys()])
  for (const [rel, entry] of original) expect({ rel, ...unpacked.get(rel) }).toEqual({ rel, ...entry })

  // The sample has what the comparison must cover: links, executables, empty folders.
  const kinds = [...original.values()]
  expect(kinds.filter(e => e.type === 'symlink').length).toBeGreaterThanOrEqual(2)
  expect(kinds.filter(e => e.type === 'file' && e.mode === '755').length).toBeGreaterThanOrEqual(2)
  const empty = [...original.keys()].filter(
    rel => original.get(rel)?.type === 'directory' && ![...original.keys()].some(k => k.startsWith(`${rel}/`))
  )
  expect(empty.length).toBeGreaterThanOrEqual(1)
  expect((await readdir(path.join(out, 'home', empty[0]))).length).toBe(0)
  expect(unpacked.get('bin/xl-release.sh')).toEqual({ type: 'symlink', mode: 'link', target: 'run.sh' })
})

test('every manifest record matches the unpacked file: type, mode, size, SHA-256, link target', async () => {
  const out = path.join(tmp, 'unzipped')
  const manifest = await manifestOf(backup.outputs['backup-path'])
  expect(manifest.format).toBe('xlr-backup')
  expect(manifest.home.path).toBe(home)
  expect(manifest.home.xlReleaseVersion).toBe(SAMPLE_VERSION)
  const unpacked = await tree(path.join(out, 'home'))
  const recorded = new Set<string>()
  let hashed = 0
  for (const record of manifest.files) {
    expect(record.path.startsWith('home/')).toBe(true)
    const rel = record.path.slice('home/'.length).replace(/\/$/, '')
    if (rel === '') continue
    recorded.add(rel)
    const entry = unpacked.get(rel)
    expect({ path: record.path, type: entry?.type }).toEqual({ path: record.path, type: record.type })
    if (record.type === 'file') {
      expect({ path: record.path, sha256: entry?.sha256, mode: entry?.mode }).toEqual({
        path: record.path,
        sha256: record.sha256,
        mode: record.mode.toString(8)
      })
      expect((await stat(path.join(out, 'home', rel))).size).toBe(record.size)
      hashed++
    } else if (record.type === 'symlink') {
      expect(record.target).toBe(entry?.target)
    }
  }
  // Nothing unpacked that the manifest does not list, and the manifest's file count matches the summary's.
  expect([...unpacked.keys()].filter(k => !recorded.has(k))).toEqual([])
  expect(hashed).toBe([...unpacked.values()].filter(e => e.type === 'file').length)
  expect(backup.summary).toContain(
    `<td>Files</td><td>${manifest.files.filter(f => f.type !== 'directory').length}</td>`
  )
})

test('a later run verifies the backup by name prefix and restores the whole home into an empty folder', async () => {
  const verify = await runAction({ mode: 'verify', storage: 'directory', path: dest, 'name-prefix': 'xlr-backup-' })
  expect(errorLines(verify)).toEqual([])
  expect(verify.code).toBe(0)
  expect(verify.outputs).toMatchObject({
    verified: 'true',
    'backup-name': backup.outputs['backup-name'],
    'backup-size': backup.outputs['backup-size'],
    'xl-release-version': SAMPLE_VERSION
  })
  expect(verify.tempLeft).toEqual([])

  const target = path.join(tmp, 'restored')
  await mkdir(target)
  const restore = await runAction({
    mode: 'restore',
    home: target,
    storage: 'directory',
    path: dest,
    name: backup.outputs['backup-name'].replace(/\.zip$/, ''),
    components: 'all',
    port
  })
  expect(errorLines(restore)).toEqual([])
  expect(restore.code).toBe(0)
  expect(restore.outputs['backup-name']).toBe(backup.outputs['backup-name'])
  expect(restore.outputs['restored-components'].split(',').sort()).toEqual(
    (await readdir(home)).filter(n => !n.startsWith('.')).sort()
  )
  expect(await tree(target, { mtimes: true })).toEqual(await tree(home, { mtimes: true }))
  expect(restore.tempLeft).toEqual([])
  // The stored backup is untouched by the restore.
  expect(await sha256File(backup.outputs['backup-path'])).toBe(backup.outputs['backup-sha256'])
})

async function manifestOf(zip: string): Promise<Manifest> {
  const { stdout } = await exec('unzip', ['-p', zip, 'manifest.json'], { maxBuffer: 64 * 1024 * 1024 })
  return JSON.parse(stdout) as Manifest
}
