/**
 * Manifest strings that become paths: a role, a dump prefix or a dump file name chosen by the forger must never
 * steer a write outside the folders the job owns — in a restore, a dry run or a verify alike. Each backup here is
 * consistent (manifest, entry hashes and the storage digest all agree), so only the manifest schema can refuse it.
 */
import { readdir } from 'node:fs/promises'
import * as path from 'node:path'
import type { Manifest } from '../../src/format/manifest.js'
import { Input } from '../../src/settings/inputs.js'
import { IntegrityError } from '../../src/shared/errors.js'
import type { ZipEntrySpec } from '../support/archive-fixtures.js'
import { HostileScene, pgDumpRecord, runRefused, sha256, UNREACHABLE_PG } from '../support/hostile-fixtures.js'

let scene: HostileScene
const DUMP = 'not really a pg_dump archive, never loaded\n'

// A scene per case: a write that escaped in one case must not be blamed on the next.
beforeEach(async () => {
  scene = await HostileScene.create('paths')
})

afterEach(async () => {
  await scene.cleanup()
})

/** A role that climbs out of the job's work folder and lands in the canary folder, wherever the OS temp is. */
function climbingRole(): string {
  return `${'../'.repeat(40)}${scene.canary.slice(1)}/pwned`
}

async function forgeWithDump(name: string, editRecord: (m: Manifest) => void, dumpPrefix = 'database/repository/') {
  const dumpEntries: ZipEntrySpec[] = [
    { name: dumpPrefix, kind: 'directory' },
    { name: `${dumpPrefix}dump.pgdump`, data: DUMP }
  ]
  const entries = [...(await scene.homeEntries()), ...dumpEntries]
  return scene.forge(name, entries, m => {
    m.databases = [pgDumpRecord(['repository'], dumpPrefix, { bytes: DUMP.length, sha256: sha256(DUMP) })]
    editRecord(m)
  })
}

const refusalCases: [string, (m: Manifest) => void, RegExp][] = [
  [
    'a second role that climbs out of the work folder',
    m => {
      m.databases[0].roles.push(climbingRole() as never)
    },
    /databases\[0\]\.roles\[1\] is "(\.\.\/)+.*: a role is 'repository' or 'archive'/
  ],
  [
    'a first role that climbs out of the work folder',
    m => {
      m.databases[0].roles = [climbingRole() as never]
    },
    /databases\[0\]\.roles\[0\] is "(\.\.\/)+.*: a role is 'repository' or 'archive'/
  ],
  [
    'a dump file name that climbs out of the dump folder',
    m => {
      m.databases[0].dump!.file = `../../../../${'../'.repeat(40)}${scene.canary.slice(1)}/dump`
    },
    /databases\[0\]\.dump\.file is ".*: a pg-custom dump is the file 'dump\.pgdump'/
  ]
]

describe.each(['restore', 'restore (dry run)', 'verify'] as const)('%s of a forged backup', mode => {
  it.each(refusalCases)('refuses %s before writing anything', async (_label, edit, message) => {
    const name = `forged-${mode.replace(/\W+/g, '-')}-${refusalCases.findIndex(c => c[1] === edit)}`
    await forgeWithDump(name, edit)
    const before = await scene.snapshot()
    const over = {
      [Input.DatabaseUrl]: UNREACHABLE_PG,
      [Input.DatabaseUsername]: 'xlr',
      [Input.DatabasePassword]: 'not-used',
      ...(mode === 'restore (dry run)' ? { [Input.DryRun]: 'true' } : {})
    }
    const { error } = await runRefused(scene.inputs(mode === 'verify' ? 'verify' : 'restore', name, over))
    // The canary first: what a forged manifest did before it was refused matters more than how it was refused.
    expect(await readdir(scene.canary)).toEqual(['precious.txt'])
    expect(error.message).toMatch(message)
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toContain(path.join(scene.store, `${name}.zip`))
    expect(error.message).toMatch(/not made by xlr-backup or was altered: do not restore it/)
    expect(await scene.snapshot()).toEqual(before)
    expect(await readdir(scene.canary)).toEqual(['precious.txt'])
  })
})

describe('dump prefixes', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a prefix of another role',
      'database/archive/',
      /databases\[0\]\.dump\.prefix is "database\/archive\/": .*'database\/repository\/'/
    ],
    ['a prefix inside the home', 'home/conf/', /databases\[0\]\.dump\.prefix is "home\/conf\/"/],
    ['a nested prefix', 'database/repository/x/', /databases\[0\]\.dump\.prefix is "database\/repository\/x\/"/]
  ]
  it.each(cases)('%s is refused by verify', async (_label, prefix, message) => {
    const name = `forged-prefix-${cases.findIndex(c => c[1] === prefix)}`
    const entries: ZipEntrySpec[] = [
      ...(await scene.homeEntries()),
      { name: 'database/', kind: 'directory' },
      { name: 'database/repository/', kind: 'directory' },
      { name: 'database/repository/dump.pgdump', data: DUMP }
    ]
    await scene.forge(name, entries, m => {
      m.databases = [pgDumpRecord(['repository'], prefix, { bytes: DUMP.length, sha256: sha256(DUMP) })]
    })
    const before = await scene.snapshot()
    const { error } = await runRefused(
      scene.inputs('verify', name, { [Input.DatabaseUrl]: UNREACHABLE_PG, [Input.DatabaseUsername]: 'xlr' })
    )
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(message)
    expect(await scene.snapshot()).toEqual(before)
  })
})
