/**
 * A refusal of hostile input is a message for the user — an XlrBackupError naming the backup, the bad field or
 * entry and what to do — never an "unexpected error" (a TypeError from reading a field that is not there, a
 * RangeError from parsing). Each case runs verify and restore through runJob and leaves the home and canary as they were.
 */
import { Input } from '../../src/settings/inputs.js'
import { XlrBackupError } from '../../src/shared/errors.js'
import { type ZipEntrySpec } from '../support/archive-fixtures.js'
import { HostileScene, runRefused } from '../support/hostile-fixtures.js'

let scene: HostileScene

beforeAll(async () => {
  scene = await HostileScene.create('messages')
})
afterAll(async () => {
  await scene.cleanup()
})

const FORGED = /not made by xlr-backup or was altered: do not restore it$/
const cases: [string, (m: Record<string, unknown>) => unknown, RegExp][] = [
  ['a manifest that is a string', () => 'xlr-backup', /has format undefined, expected 'xlr-backup'/],
  ['a manifest that is a list', () => [], /has format undefined, expected 'xlr-backup'/],
  ['a null home', m => void (m.home = null), /home is null: expected an object/],
  ['a null file list', m => void (m.files = null), /files is null: expected a list/],
  ['a null file record', m => void (m.files as unknown[]).push(null), /files\[\d+\] is null: expected an object/],
  ['a null database record', m => void (m.databases = [null]), /databases\[0\] is null: expected an object/],
  [
    'an unknown top-level field',
    m => void (m.postRestoreHook = 'rm -rf /'),
    /postRestoreHook is not a field of an xlr-backup manifest/
  ],
  [
    'an unknown field in a file record',
    m => void ((m.files as Record<string, unknown>[])[1].owner = 0),
    /files\[1\]\.owner is not a field/
  ],
  [
    'a host that would print a runner command',
    m => void (m.host = 'db\n::error::this line came from the backup'),
    /host is "db\\n::error::this line came from the backup": expected text without line breaks or control characters/
  ],
  [
    'a tool version with a terminal escape',
    m => void (m.tool = { name: 'xlr-backup', version: '1.0\u001b[2J' }),
    /tool\.version is "1\.0\\u001b\[2J": expected text without line breaks/
  ],
  ['a zero format version', m => void (m.formatVersion = 0), /formatVersion is 0: expected a whole number ≥ 1/],
  [
    'a fractional format version',
    m => void (m.formatVersion = 0.5),
    /formatVersion is 0\.5: expected a whole number ≥ 1/
  ],
  [
    'an unknown era',
    m => void ((m.home as Record<string, unknown>).era = 'future'),
    /home\.era is "future": an era is 'sql' or 'jcr' or 'unknown'/
  ],
  [
    'an unknown engine',
    m =>
      void (m.databases = [
        { roles: ['repository'], engine: 'sh', url: 'x', host: null, port: null, database: null, embedded: true }
      ]),
    /databases\[0\]\.engine is "sh": an engine is 'postgresql' or/
  ],
  [
    'a role served twice',
    m =>
      void (m.databases = [0, 1].map(() => ({
        roles: ['archive'],
        engine: 'h2',
        url: 'jdbc:h2:file:x',
        host: null,
        port: null,
        database: null,
        embedded: true
      }))),
    /databases\[1\]\.roles is \["archive"\]: the archive role is already served by databases\[0\]/
  ],
  [
    'a folder with a hash',
    m => void ((m.files as Record<string, unknown>[])[0].sha256 = '0'.repeat(64)),
    /files\[0\]\.sha256 is "0+": a folder has no content hash/
  ],
  [
    'a mode beyond permission bits',
    m => void ((m.files as Record<string, unknown>[])[2].mode = 0o170644),
    /files\[2\]\.mode is \d+: expected permission bits/
  ]
]

describe.each(['verify', 'restore'] as const)('%s', mode => {
  it.each(cases)('%s is refused as a forged backup, nothing written', async (label, edit, message) => {
    const name = `msg-${mode}-${cases.findIndex(c => c[0] === label)}`
    const entries: ZipEntrySpec[] = await scene.homeEntries()
    await scene.forge(name, entries, m => edit(m as unknown as Record<string, unknown>))
    const before = await scene.snapshot()
    const { error } = await runRefused(scene.inputs(mode, name, { [Input.Database]: 'none', [Input.DryRun]: 'false' }))
    expect(error).toBeInstanceOf(XlrBackupError)
    expect(error.message).toMatch(message)
    expect(error.message).toContain(`${name}.zip`)
    if (!/format undefined/.test(message.source)) expect(error.message).toMatch(FORGED)
    expect(await scene.snapshot()).toEqual(before)
  })
})
