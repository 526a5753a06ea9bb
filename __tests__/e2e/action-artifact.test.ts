/**
 * Workflow artifacts end to end: the bundled action, run as the runner runs it, uploads its backup through the real
 * @actions/artifact client to the local artifact-service emulator; later action runs, in other processes and other
 * workflow runs, find it (exact name, newest by prefix, another run by run-id), verify it and restore it into an empty
 * folder byte for byte. A blob changed in storage makes the restore fail on its digest with the home untouched.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { SAMPLE_VERSION } from '../../scripts/make-home.js'
import { startArtifactEmulator, type ArtifactEmulator, type EmulatedRun } from '../support/artifact-emulator.js'
import {
  errorLines,
  runAction,
  frontEndScene,
  sampleHome,
  sha256File,
  tree,
  treeHash,
  type ActionRun,
  type TreeEntry
} from '../support/e2e-frontends.js'

let emu: ArtifactEmulator
let tmp: string
let home: string
let port: string
/** The nightly runs (older first) and what the home looked like when each backed it up. */
const nightly: { run: EmulatedRun; name: string; backup: ActionRun; state: Map<string, TreeEntry> }[] = []
let drill: EmulatedRun
/** A token the REST API answers with 403, as one without 'actions: read'. */
const READ_ONLY_TOKEN = 'ghs_contents_read_only'

afterAll(() => emu?.close())
frontEndScene('e2e-action-artifact-', made => ({ tmp, home, port } = made))
beforeAll(async () => {
  emu = await startArtifactEmulator({ forbiddenTokens: [READ_ONLY_TOKEN] })
  // Two nightly runs of the same host, the home changing in between; a restore drill later, in a run of its own.
  for (const [i, stamp] of ['20261125T020000Z', '20261126T020000Z'].entries()) {
    const run = i === 0 ? { runId: emu.runId, env: emu.env } : emu.newRun()
    if (i > 0) await writeFile(path.join(home, 'conf', 'added-between-nightlies.conf'), `night ${i}\n`)
    const name = `e2e-nightly-${stamp}`
    const backup = await runAction(
      { mode: 'backup', home, name, port, threads: '2', 'retention-days': '7' },
      { env: run.env }
    )
    nightly.push({ run: run as EmulatedRun, name, backup, state: await tree(home, { mtimes: true }) })
  }
  drill = emu.newRun()
}, 300_000)

/** A fresh empty folder to restore into. */
async function emptyHome(label: string): Promise<string> {
  const dir = path.join(tmp, label)
  await mkdir(dir)
  return dir
}

async function restoreInto(target: string, inputs: Record<string, string>, env: Record<string, string>) {
  return await runAction({ mode: 'restore', home: target, components: 'all', port, threads: '2', ...inputs }, { env })
}

function expectOk(run: ActionRun): void {
  expect(errorLines(run)).toEqual([])
  expect(run.code).toBe(0)
  expect(run.tempLeft).toEqual([])
}

test('a backup lands as one artifact: outputs, digest and link match what the service stored', async () => {
  for (const { run, name, backup } of nightly) {
    expectOk(backup)
    const stored = emu.artifacts().filter(a => a.runId === run.runId)
    expect(stored.map(a => a.name)).toEqual([`${name}.zip`])
    const [artifact] = stored
    const sha256 = await sha256File(artifact.blobFile)
    expect(backup.outputs).toMatchObject({
      'backup-name': `${name}.zip`,
      'backup-size': String(artifact.size),
      'backup-sha256': sha256,
      'xl-release-version': SAMPLE_VERSION,
      'artifact-id': String(artifact.id),
      'artifact-name': `${name}.zip`,
      'artifact-url': `https://github.com/${emu.repository}/actions/runs/${run.runId}/artifacts/${artifact.id}`,
      'artifact-digest': sha256,
      // The local copy is gone once uploaded: no path to name.
      'backup-path': ''
    })
    expect(artifact.digest).toBe(`sha256:${sha256}`)
    // retention-days reached the service.
    const days = (Date.parse(artifact.expiresAt as string) - Date.now()) / 86400_000
    expect(days).toBeGreaterThan(6.9)
    expect(days).toBeLessThanOrEqual(7)
    // The job summary links the artifact.
    expect(backup.summary).toContain(`href="${backup.outputs['artifact-url']}"`)
  }
})

test('verify in another process of the same run, by exact name, without a token', async () => {
  const { run, name, backup } = nightly[0]
  const verify = await runAction({ mode: 'verify', name }, { env: run.env })
  expectOk(verify)
  expect(verify.outputs).toMatchObject({
    verified: 'true',
    'backup-name': `${name}.zip`,
    'backup-size': backup.outputs['backup-size']
  })
})

test('restore by exact name in the same run: the whole home, byte for byte, modes and links', async () => {
  const { run, name, state } = nightly[0]
  const target = await emptyHome('restored-exact')
  const restore = await restoreInto(target, { name: `${name}.zip` }, run.env)
  expectOk(restore)
  expect(restore.outputs['backup-name']).toBe(`${name}.zip`)
  expect(await tree(target, { mtimes: true })).toEqual(state)
})

test('restore the newest by name-prefix across the repository, from a later run', async () => {
  const target = await emptyHome('restored-prefix')
  const restore = await restoreInto(
    target,
    { 'name-prefix': 'e2e-nightly-', 'github-token': emu.token, repository: emu.repository },
    drill.env
  )
  expectOk(restore)
  expect(restore.outputs['backup-name']).toBe(`${nightly[1].name}.zip`)
  expect(await tree(target, { mtimes: true })).toEqual(nightly[1].state)
  // The newer nightly holds the file added between the runs; the older one does not.
  expect(nightly[1].state.has('conf/added-between-nightlies.conf')).toBe(true)
  expect(nightly[0].state.has('conf/added-between-nightlies.conf')).toBe(false)
})

test('verify and restore an older backup from another run (run-id + github-token + repository)', async () => {
  const { run, name, state } = nightly[0]
  const other = { name, 'run-id': String(run.runId), 'github-token': emu.token, repository: emu.repository }
  const verify = await runAction({ mode: 'verify', ...other }, { env: drill.env })
  expectOk(verify)
  expect(verify.outputs['backup-name']).toBe(`${name}.zip`)
  const target = await emptyHome('restored-other-run')
  const restore = await restoreInto(target, other, drill.env)
  expectOk(restore)
  expect(await tree(target, { mtimes: true })).toEqual(state)
})

test('a name that matches nothing says what was searched', async () => {
  const verify = await runAction(
    { mode: 'verify', 'name-prefix': 'e2e-weekly-', 'github-token': emu.token, repository: emu.repository },
    { env: drill.env }
  )
  expect(verify.code).toBe(1)
  expect(errorLines(verify)).toEqual([expect.stringMatching(/e2e-weekly-.*octo-org\/xlr-backups/)])
  expect(verify.outputs).toEqual({})
})

test("a token without 'actions: read' is named as the problem", async () => {
  const target = await emptyHome('restored-forbidden')
  const restore = await restoreInto(
    target,
    { 'name-prefix': 'e2e-nightly-', 'github-token': READ_ONLY_TOKEN, repository: emu.repository },
    drill.env
  )
  expect(restore.code).toBe(1)
  expect(errorLines(restore)).toEqual([
    expect.stringMatching(/The 'github-token' lacks 'actions: read' on 'octo-org\/xlr-backups'/)
  ])
  expect(restore.stdout).not.toContain(READ_ONLY_TOKEN)
  expect(await readdir(target)).toEqual([])
})

test('a tampered blob fails the restore on its digest and leaves the existing home unchanged', async () => {
  // Its own backup, so the other tests keep an intact one; the target is an existing home of the same version.
  const run = emu.newRun()
  const name = 'e2e-tamper-20261127T020000Z'
  const backup = await runAction({ mode: 'backup', home, name, port, threads: '2' }, { env: run.env })
  expectOk(backup)
  await emu.tamper(`${name}.zip`)
  const target = await sampleHome(path.join(tmp, 'existing-home'), 0.002)
  const before = await treeHash(target)
  const restore = await restoreInto(
    target,
    { name, 'run-id': String(run.runId), 'github-token': emu.token, repository: emu.repository },
    drill.env
  )
  expect(restore.code).toBe(1)
  expect(errorLines(restore)).toEqual([
    expect.stringMatching(
      /^Artifact 'e2e-tamper-20261127T020000Z\.zip' \(id \d+\) does not match its digest: .*restore refused/
    )
  ])
  expect(restore.outputs).toEqual({})
  expect(restore.tempLeft).toEqual([])
  expect(await treeHash(target)).toBe(before)
})
