/**
 * Someone who can add files to the backup folder plants backups dated in the past, each newer than the newest real
 * one: believable times, so only a signature tells them apart. Without 'trusted-signers' the rotation keeps the
 * planted ones and deletes the real ones (the risk the README states); with it, the rotation counts only backups
 * signed by a trusted key, through the whole core (storage: directory, mode prune and a backup that rotates).
 */
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { makeHome } from '../../scripts/make-home.js'
import { Input, Output } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { makeCompanion } from '../../src/signing/companion.js'
import { parsePrivateKey } from '../../src/signing/ssh-keys.js'
import { DirectoryStorage } from '../../src/storage/index.js'
import { rotationRows } from '../support/rotation-calendar.js'
import { run } from '../support/run-job.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../signing/fixtures')
const fixture = (name: string): Promise<string> => readFile(path.join(fixtures, name), 'utf8')
const HOUR = 3600_000
const ZERO = '0'.repeat(64)

let tmp: string
let trusted: string

/** Stores `name` dated `hoursAgo`, with a companion signed by `key` for `signedFor` (null: unsigned). */
async function store(folder: string, name: string, hoursAgo: number, key: string | null, signedFor = name) {
  const storage = new DirectoryStorage(folder)
  const staged = await storage.stagingPath(name)
  await writeFile(staged, `backup ${name}\n`)
  const companion = key
    ? makeCompanion({ file: signedFor, sha256: ZERO, manifestSha256: ZERO }, parsePrivateKey(key))
    : undefined
  await storage.publish(staged, name, new MemoryLogger(), undefined, companion)
  const time = new Date(Date.now() - hoursAgo * HOUR)
  await utimes(path.join(folder, name), time, time)
}

/** Three real nightly backups signed by the trusted key, and three planted ones, newer, that are not. */
async function plantedFolder(name: string): Promise<string> {
  const folder = path.join(tmp, name)
  const signer = await fixture('signer')
  for (const [backup, hours] of [
    ['nightly-1.zip', 72],
    ['nightly-2.zip', 48],
    ['nightly-3.zip', 24]
  ] as const) {
    await store(folder, backup, hours, signer)
  }
  await store(folder, 'nightly-p1.zip', 3, null)
  await store(folder, 'nightly-p2.zip', 2, await fixture('stranger'))
  await store(folder, 'nightly-p3.zip', 1, signer, 'nightly-3.zip')
  return folder
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'signed-rotation-'))
  trusted = await fixture('signer.pub')
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const prune = (folder: string) => ({
  [Input.Mode]: 'prune',
  [Input.Storage]: 'directory',
  [Input.Path]: folder,
  [Input.NamePrefix]: 'nightly-',
  [Input.KeepLast]: '2'
})

test('without trusted-signers, planted backups with believable times push the real ones out', async () => {
  const folder = await plantedFolder('unguarded')
  const { result } = await run({ ...prune(folder), [Input.DryRun]: 'true' })
  expect(rotationRows(result).filter(([, decision]) => decision === 'keep')).toEqual([
    ['nightly-p3.zip', 'keep', 'keep-last'],
    ['nightly-p2.zip', 'keep', 'keep-last']
  ])
})

test('with trusted-signers, only signed backups are counted; the planted ones are kept and named', async () => {
  const folder = await plantedFolder('guarded')
  const { result, logger } = await run({ ...prune(folder), [Input.TrustedSigners]: trusted })
  expect(rotationRows(result)).toEqual([
    ['nightly-3.zip', 'keep', 'keep-last'],
    ['nightly-2.zip', 'keep', 'keep-last'],
    ['nightly-p1.zip', 'keep', 'not signed by a trusted signer'],
    ['nightly-p2.zip', 'keep', 'not signed by a trusted signer'],
    ['nightly-p3.zip', 'keep', 'not signed by a trusted signer'],
    ['nightly-1.zip', 'deleted', 'no rule keeps it']
  ])
  const warnings = logger.messages('warning').join('\n')
  expect(warnings).toMatch(
    /Kept 'nightly-p1.zip' out of the rotation: it is not signed by a key of 'trusted-signers' \(Backup nightly-p1.zip is not signed/
  )
  expect(warnings).toMatch(/'nightly-p2.zip'.*which is not in 'trusted-signers'/)
  expect(warnings).toMatch(/'nightly-p3.zip'.*was made for another backup, nightly-3.zip/)
  expect((await readdir(folder)).filter(f => f.endsWith('.zip')).sort()).toEqual([
    'nightly-2.zip',
    'nightly-3.zip',
    'nightly-p1.zip',
    'nightly-p2.zip',
    'nightly-p3.zip'
  ])
})

test('a backup that rotates checks the signatures too, and keeps the signed backup it just made', async () => {
  const folder = await plantedFolder('after-backup')
  const home = path.join(tmp, 'home')
  await makeHome(home, { scale: 0.002 })
  const { result } = await run({
    ...prune(folder),
    [Input.Mode]: 'backup',
    [Input.Home]: home,
    [Input.Database]: 'none',
    [Input.SigningKey]: await fixture('signer'),
    [Input.TrustedSigners]: trusted
  })
  const made = result.outputs[Output.BackupName] as string
  expect(rotationRows(result).map(([name, decision, why]) => `${name} ${decision} ${why}`)).toEqual([
    `${made} keep keep-last, just made`,
    'nightly-3.zip keep keep-last',
    'nightly-p1.zip keep not signed by a trusted signer',
    'nightly-p2.zip keep not signed by a trusted signer',
    'nightly-p3.zip keep not signed by a trusted signer',
    'nightly-2.zip deleted no rule keeps it',
    'nightly-1.zip deleted no rule keeps it'
  ])
})
