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
    m => void ((m.files as Record<string, unknown>[])[1].acl = 'u::rwx'),
    /files\[1\]\.acl is not a field/
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
  ...ownerCases(),
  [
    'a mode beyond permission bits',
    m => void ((m.files as Record<string, unknown>[])[2].mode = 0o170644),
    /files\[2\]\.mode is \d+: expected permission bits/
  ]
]

/** The owners table and the keystore fingerprint (format 2): names end up in lookups, logs and summaries. */
function ownerCases(): [string, (m: Record<string, unknown>) => unknown, RegExp][] {
  const files = (m: Record<string, unknown>): Record<string, unknown>[] => m.files as Record<string, unknown>[]
  const owner = (row: Record<string, unknown>) => (m: Record<string, unknown>) => {
    m.owners = [{ uid: 10001, gid: 0, user: 'xl-release', group: 'root', ...row }]
    files(m)[1].owner = 0
  }
  const dumped =
    (keystoreSha256: unknown, dump = true) =>
    (m: Record<string, unknown>) => {
      const at = {
        format: 'pg-custom',
        prefix: 'database/repository/',
        bytes: 0,
        tool: { name: 'pg_dump', version: '16' }
      }
      const times = {
        serverVersion: null,
        startedAt: 'x',
        finishedAt: 'x',
        sha256: '0'.repeat(64),
        file: 'dump.pgdump'
      }
      m.databases = [
        {
          roles: ['repository'],
          engine: 'postgresql',
          url: 'jdbc:postgresql://db/x',
          host: 'db',
          port: 5432,
          database: 'x',
          embedded: false,
          ...(dump ? { dump: { ...at, ...times } } : { embedded: true }),
          keystoreSha256
        }
      ]
    }
  return [
    [
      'an owner index past the table',
      m => void (files(m)[1].owner = 3),
      /files\[1\]\.owner is 3: expected an index into the owners table \(0 rows\)/
    ],
    [
      'an owner name with a line break',
      owner({ user: 'xl\n::error::x' }),
      /owners\[0\]\.user is "xl\\n::error::x": expected text without line breaks/
    ],
    [
      'an owner name that poses as an option',
      owner({ group: '--help' }),
      /owners\[0\]\.group is "--help": expected a user or group name/
    ],
    ['an owner name with a colon', owner({ user: 'a:b' }), /owners\[0\]\.user is "a:b": expected a user or group name/],
    [
      'an overlong owner name',
      owner({ user: 'u'.repeat(300) }),
      /owners\[0\]\.user is "u+…: expected a user or group name \(1 to 256/
    ],
    [
      'a uid chown takes as "unchanged"',
      owner({ uid: 2 ** 32 - 1 }),
      /owners\[0\]\.uid is 4294967295: expected an id of at most 4294967294/
    ],
    ['a negative gid', owner({ gid: -1 }), /owners\[0\]\.gid is -1: expected a whole number ≥ 0/],
    [
      'an owners table in a format 1 manifest',
      m => void Object.assign(m, { formatVersion: 1, owners: [] }),
      /owners is "…": a format 1 manifest records no owners/
    ],
    [
      'a keystore fingerprint that is no SHA-256',
      dumped('abc'),
      /databases\[0\]\.keystoreSha256 is "abc": expected a SHA-256/
    ],
    [
      'a keystore fingerprint without a dump',
      dumped(null, false),
      /databases\[0\]\.keystoreSha256 is null: only a dumped database records the keystore/
    ]
  ]
}

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
