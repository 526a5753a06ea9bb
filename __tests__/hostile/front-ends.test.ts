/**
 * What the user sees: the CLI prints a refused backup as the refusal itself (exit 1), never as "unexpected error",
 * and a role that slipped past the schema is refused again where it would become a folder name.
 */
import { jest } from '@jest/globals'
import * as path from 'node:path'
import type { DatabaseRecord } from '../../src/format/manifest.js'
import { runCli } from '../../src/cli.js'
import { dumpFolder } from '../../src/commands/database-targets.js'
import { IntegrityError } from '../../src/shared/errors.js'
import { HostileScene, pgDumpRecord } from '../support/hostile-fixtures.js'

let scene: HostileScene

beforeAll(async () => {
  scene = await HostileScene.create('front-ends')
})
afterAll(async () => {
  await scene.cleanup()
})

it.each(['verify', 'restore'])('the CLI prints a forged backup refused by %s as a refusal', async mode => {
  const name = `cli-${mode}`
  await scene.forge(name, await scene.homeEntries(), m => void ((m as unknown as { home: null }).home = null))
  const before = await scene.snapshot()
  const stderr: string[] = []
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(chunk => {
    stderr.push(String(chunk))
    return true
  })
  let exitCode: number
  try {
    ;({ exitCode } = await runCli(
      [
        mode,
        '--home',
        scene.home,
        '--storage',
        'directory',
        '--path',
        scene.store,
        '--name',
        name,
        '--database',
        'none'
      ],
      {}
    ))
  } finally {
    spy.mockRestore()
  }
  const text = stderr.join('')
  expect(exitCode).toBe(1)
  expect(text).toContain(`xlr-backup: the backup ${path.join(scene.store, `${name}.zip`)}`)
  expect(text).toContain('home is null: expected an object')
  expect(text).not.toMatch(/unexpected error/i)
  expect(await scene.snapshot()).toEqual(before)
})

it('a role outside the fixed set never becomes a folder name', () => {
  const record = pgDumpRecord(['repository', '../../../etc'], 'database/repository/', {
    bytes: 0,
    sha256: '0'.repeat(64)
  })
  expect(() => dumpFolder('/work', record as DatabaseRecord)).toThrow(IntegrityError)
  expect(() => dumpFolder('/work', record as DatabaseRecord)).toThrow(
    /names the roles \["repository","\.\.\/\.\.\/\.\.\/etc"\]/
  )
  expect(
    dumpFolder(
      '/work',
      pgDumpRecord(['repository', 'archive'], 'database/repository+archive/', { bytes: 0, sha256: '0'.repeat(64) })
    )
  ).toBe('/work/dumps/repository+archive')
})
