/**
 * Rotation after a real backup (directory storage, whole core), never after a failed one; and verify's 'max-age'
 * alarm over the same folder, through the core and the CLI front end.
 */
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { runCli } from '../../src/cli.js'
import { Input, Output } from '../../src/settings/inputs.js'
import { directoryJob, run, runFailing } from '../support/run-job.js'
import { rotationRows } from '../support/rotation-calendar.js'
import { scratchHome } from '../support/scratch.js'

let work: string
let home: string

scratchHome('rotation-backup-', 0.002, made => ({ work, home } = made))

/** A folder holding three earlier backups under 'xlr-prod-' (a day apart) and one under another prefix. */
async function folderWithOldBackups(name: string): Promise<string> {
  const folder = path.join(work, name)
  await mkdir(folder)
  for (const [file, day] of [
    ['xlr-prod-1.zip', 1],
    ['xlr-prod-2.zip', 2],
    ['xlr-prod-3.zip', 3],
    ['xlr-test-1.zip', 1]
  ] as const) {
    await writeFile(path.join(folder, file), 'old backup')
    const time = new Date(Date.UTC(2026, 0, day, 2))
    await utimes(path.join(folder, file), time, time)
  }
  return folder
}

const backupInputs = (folder: string) =>
  directoryJob(home, folder, { [Input.NamePrefix]: 'xlr-prod-', [Input.KeepLast]: '2' })

test('after the backup is stored, the rotation keeps it and deletes what the rules do not keep', async () => {
  const folder = await folderWithOldBackups('after-backup')
  const { result, logger } = await run(backupInputs(folder))
  const made = result.outputs[Output.BackupName] as string
  expect(made).toMatch(/^xlr-prod-\d{8}T\d{6}Z\.zip$/)
  expect(rotationRows(result)).toEqual([
    [made, 'keep', 'keep-last, just made'],
    ['xlr-prod-3.zip', 'keep', 'keep-last'],
    ['xlr-prod-2.zip', 'deleted', 'no rule keeps it'],
    ['xlr-prod-1.zip', 'deleted', 'no rule keeps it']
  ])
  expect((await readdir(folder)).sort()).toEqual([made, `${made}.sha256`, 'xlr-prod-3.zip', 'xlr-test-1.zip'])
  // Stored first, rotated after.
  const messages = logger.messages('info')
  const stored = messages.findIndex(m => m.startsWith(`Stored ${path.join(folder, made)}`))
  const rotated = messages.findIndex(m => m.startsWith('Rotation of 4 backup(s)'))
  expect(stored).toBeGreaterThanOrEqual(0)
  expect(rotated).toBeGreaterThan(stored)
})

test('a failed backup rotates nothing', async () => {
  const folder = await folderWithOldBackups('failed-backup')
  const { error, logger } = await runFailing({
    ...backupInputs(folder),
    [Input.Database]: 'postgresql',
    [Input.DatabaseUrl]: 'jdbc:postgresql://127.0.0.1:1/xlrelease'
  })
  expect(error.message).not.toMatch(/rotation/i)
  expect(logger.messages().some(m => m.startsWith('Rotation'))).toBe(false)
  expect((await readdir(folder)).sort()).toEqual([
    'xlr-prod-1.zip',
    'xlr-prod-2.zip',
    'xlr-prod-3.zip',
    'xlr-test-1.zip'
  ])
})

describe("verify's max-age", () => {
  let folder: string
  let made: string

  beforeAll(async () => {
    folder = path.join(work, 'freshness')
    const { result } = await run({ ...backupInputs(folder), [Input.NamePrefix]: 'fresh-', [Input.KeepLast]: '' })
    made = result.outputs[Output.BackupName] as string
  })

  const verify = {
    [Input.Mode]: 'verify',
    [Input.Storage]: 'directory',
    [Input.NamePrefix]: 'fresh-',
    [Input.MaxAge]: '26h'
  }

  test('a fresh backup passes and reports its age', async () => {
    const { result } = await run({ ...verify, [Input.Path]: folder })
    expect(result.failure).toBeUndefined()
    expect(Number(result.outputs[Output.BackupAgeSeconds])).toBeLessThan(600)
    expect(result.outputs[Output.Verified]).toBe('true')
  })

  test('a backup older than max-age fails the job, naming it and its age, after it was verified', async () => {
    const then = new Date(Date.now() - 30 * 3600_000)
    await utimes(path.join(folder, made), then, then)
    const { result, logger } = await run({ ...verify, [Input.Path]: folder })
    expect(result.outputs[Output.Verified]).toBe('true')
    const age = Number(result.outputs[Output.BackupAgeSeconds])
    expect(age).toBeGreaterThanOrEqual(30 * 3600 - 5)
    expect(age).toBeLessThan(30 * 3600 + 600)
    expect(result.failure).toMatch(new RegExp(`newest backup under 'fresh-' is '${made.replace(/\./g, '\\.')}'`))
    expect(result.failure).toMatch(/30h \d+m old, older than 'max-age' \(26h 0m\)/)
    // Said before anything was downloaded or checked.
    const messages = logger.messages()
    expect(messages.indexOf(result.failure as string)).toBeLessThan(messages.findIndex(m => m.startsWith('Checked ')))
  })

  test('the CLI sets the outputs, then exits 1 with the message', async () => {
    const out: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write
    let exitCode: number
    try {
      ;({ exitCode } = await runCli(
        ['verify', '--storage', 'directory', '--path', folder, '--name-prefix', 'fresh-', '--max-age', '26h'],
        {}
      ))
    } finally {
      process.stdout.write = write
    }
    expect(exitCode).toBe(1)
    expect(out.join('')).toMatch(/^backup-age-seconds=\d+$/m)
  })

  test('no backup under the prefix fails at once', async () => {
    const { error } = await runFailing({ ...verify, [Input.Path]: folder, [Input.NamePrefix]: 'never-' })
    expect(error.message).toMatch(/no backup at all under 'never-'/)
  })
})
