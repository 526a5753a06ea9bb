/**
 * Every refusal of a restore, through the real core, leaves the home and the database byte-identical: the whole
 * tree (contents, modes, links, no leftover work folder) and the table checksums are compared before and after.
 * Damaged backups are resealed (their .sha256 digest file rewritten) so the archive's own checks must catch them.
 */
import { execFileSync } from 'node:child_process'
import { copyFile, readdir, truncate, stat, writeFile } from 'node:fs/promises'
import * as net from 'node:net'
import * as path from 'node:path'
import {
  EncryptionError,
  IntegrityError,
  RestoreError,
  ServerRunningError,
  XlrBackupError
} from '../../../src/shared/errors.js'
import { Input, Output } from '../../../src/settings/inputs.js'
import { pgAdmin } from '../../support/database-fixtures.js'
import { checksums, exactTree, homeState, run, runFailing, type Inputs, useDbHome } from '../../support/e2e-restore.js'
import { addHostileEntries, dataOffset, flipByte, reseal, rewriteManifest } from '../../support/e2e-restore.js'

const fx = useDbHome('xlr-e2e-refuse-', 'good')

let good: string

function inputs(name: string, over: Inputs = {}): Inputs {
  return fx.inputs({ [Input.Name]: name, [Input.Mode]: 'restore', ...over })
}

/** A copy of the good backup under another name, changed by `damage`, with a matching digest file. */
async function damaged(name: string, damage: (file: string) => Promise<void> | void): Promise<string> {
  const file = path.join(fx.store, `${name}.zip`)
  await copyFile(good, file)
  await damage(file)
  await reseal(file)
  return name
}

/** Runs a restore that must be refused and proves that nothing changed; returns the error. */
async function refused(over: Inputs & { [Input.Name]: string }, homeDir = fx.home): Promise<Error> {
  const before = { tree: await exactTree(homeDir), tables: await checksums('postgresql', fx.repoDb) }
  const { error } = await runFailing(inputs(over[Input.Name], { [Input.Home]: homeDir, ...over }))
  expect(error).toBeInstanceOf(XlrBackupError)
  expect(await exactTree(homeDir)).toBe(before.tree)
  expect(await checksums('postgresql', fx.repoDb)).toEqual(before.tables)
  return error
}

/** The IntegrityError itself, or the one a RestoreError (a failure inside the engine) wraps. */
function integrityCause(error: Error): unknown {
  return error instanceof RestoreError && !(error instanceof IntegrityError) ? error.cause : error
}

beforeAll(async () => {
  await run({ ...inputs('good'), [Input.Mode]: 'backup' })
  good = path.join(fx.store, 'good.zip')
  // What the refused restores would have put back: make the home and the database differ from the backup.
  await writeFile(path.join(fx.home, 'conf/after-backup.txt'), 'changed since the backup')
  pgAdmin('DELETE FROM xlr_tasks WHERE ci_uid % 5 = 0;', fx.pg.database)
})

describe('refused restores change nothing (home tree and database tables compared)', () => {
  test('a flipped byte in a restored file (caught while staging)', async () => {
    const name = await damaged('flip-conf', async f => {
      const { offset, size } = dataOffset(f, 'home/conf/xl-release.conf')
      await flipByte(f, offset + Math.floor(size / 2))
    })
    const error = await refused({ [Input.Name]: name })
    expect(integrityCause(error)).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/home\/conf\/xl-release\.conf/)
  })

  test('a flipped byte in a file that is not restored (caught by the up-front check)', async () => {
    const jar = execFileSync('unzip', ['-Z1', good], { encoding: 'utf8' })
      .split('\n')
      .find(n => /^home\/lib\/.*\.jar$/.test(n))!
    const name = await damaged('flip-lib', async f => {
      const { offset, size } = dataOffset(f, jar)
      await flipByte(f, offset + Math.floor(size / 3))
    })
    const error = await refused({ [Input.Name]: name })
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toContain(jar)
  })

  test('a flipped byte in the database dump', async () => {
    const name = await damaged('flip-dump', async f => {
      const { offset, size } = dataOffset(f, 'database/repository/dump.pgdump')
      await flipByte(f, offset + Math.floor(size / 2))
    })
    expect(await refused({ [Input.Name]: name })).toBeInstanceOf(IntegrityError)
  })

  test('a flipped byte in the manifest', async () => {
    const name = await damaged('flip-manifest', async f => {
      const { offset, size } = dataOffset(f, 'manifest.json')
      await flipByte(f, offset + Math.floor(size / 2))
    })
    expect(await refused({ [Input.Name]: name })).toBeInstanceOf(IntegrityError)
  })

  test('a flipped byte with the digest file left as it was (caught by the storage digest)', async () => {
    const file = path.join(fx.store, 'flip-unsealed.zip')
    await copyFile(good, file)
    await copyFile(`${good}.sha256`, `${file}.sha256`)
    await flipByte(file, 100)
    const error = await refused({ [Input.Name]: 'flip-unsealed' })
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/digest/)
  })

  test('a truncated archive', async () => {
    const name = await damaged('truncated', async f => {
      await truncate(f, Math.floor((await stat(f)).size * 0.6))
    })
    expect(await refused({ [Input.Name]: name })).toBeInstanceOf(IntegrityError)
  })

  test('a manifest whose SHA-256 of one file disagrees with the file', async () => {
    const name = await damaged('manifest-hash', f => {
      rewriteManifest(
        good,
        `${f}.tmp`,
        `r = next(x for x in m['files'] if x['path'] == 'home/ext/synthetic.xml')\nr['sha256'] = '0' * 64`
      )
      execFileSync('mv', [`${f}.tmp`, f])
    })
    const error = await refused({ [Input.Name]: name })
    // ext/ is checked as the engine stages it: its failure (nothing swapped yet) wraps the IntegrityError.
    expect(integrityCause(error)).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/home\/ext\/synthetic\.xml/)
  })

  test('a zip-slip entry recorded in a valid-looking manifest', async () => {
    const name = await damaged('zip-slip', f => {
      addHostileEntries(good, `${f}.tmp`, { 'home/ext/../../../escaped.txt': 'pwned' })
      execFileSync('mv', [`${f}.tmp`, f])
    })
    const error = await refused({ [Input.Name]: name })
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/escaped\.txt/)
    await expect(stat(path.join(fx.tmp, 'escaped.txt'))).rejects.toThrow(/ENOENT/)
  })

  test('a symlink that escapes the home', async () => {
    const name = await damaged('escaping-link', f => {
      addHostileEntries(good, `${f}.tmp`, {}, { 'home/ext/evil': '../../../../../../etc' })
      execFileSync('mv', [`${f}.tmp`, f])
    })
    const error = await refused({ [Input.Name]: name })
    expect(error).toBeInstanceOf(IntegrityError)
    expect(error.message).toMatch(/home\/ext\/evil/)
  })

  test('a running server (something listens on http.port): ServerRunningError naming the port', async () => {
    const server = net.createServer(socket => socket.end())
    await new Promise<void>(resolve => server.listen(fx.port, '127.0.0.1', resolve))
    try {
      const error = await refused({ [Input.Name]: 'good' })
      expect(error).toBeInstanceOf(ServerRunningError)
      expect(error.message).toContain(String(fx.port))
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  test('an encrypted backup and no key', async () => {
    await run({
      ...inputs('secret'),
      [Input.Mode]: 'backup',
      [Input.Database]: 'none',
      [Input.EncryptionPassphrase]: 'correct horse battery staple'
    })
    expect(await readdir(fx.store)).toContain('secret.zip.age')
    const error = await refused({ [Input.Name]: 'secret' })
    expect(error).toBeInstanceOf(EncryptionError)
  })
})

describe('versions', () => {
  let older: string

  beforeAll(async () => {
    // A home of XL Release 23.3.0 (its lib/ names that version); the backup is of 24.1.3.
    older = path.join(fx.tmp, 'home-23')
    execFileSync('cp', ['-a', fx.home, older])
    const lib = path.join(older, 'lib')
    const jar = (await readdir(lib)).find(n => n.startsWith('xlr-server-'))!
    execFileSync('mv', [path.join(lib, jar), path.join(lib, 'xlr-server-23.3.0.jar')])
  })

  test('restoring data into a home of another version is refused and changes nothing', async () => {
    const error = await refused({ [Input.Name]: 'good' }, older)
    expect(error).toBeInstanceOf(RestoreError)
    expect(error.message).toMatch(/24\.1\.3.*23\.3\.0/s)
    expect(error.message).toContain('allow-version-mismatch')
  })

  test("'allow-version-mismatch: true' lets the data in, with a warning", async () => {
    const { result, logger } = await run(
      inputs('good', { [Input.Home]: older, [Input.Components]: 'ext', [Input.AllowVersionMismatch]: 'true' })
    )
    expect(result.outputs[Output.RestoredComponents]).toBe('ext')
    expect(logger.messages('warning').join('\n')).toMatch(/23\.3\.0/)
  })

  test("'components: all' puts the whole home back, the product version included (an upgrade rolled back)", async () => {
    const { result } = await run(inputs('good', { [Input.Home]: older, [Input.Components]: 'all' }))
    expect(result.outputs[Output.RestoredComponents]).toContain('lib')
    const lib = await readdir(path.join(older, 'lib'))
    expect(lib).toContain('xlr-server-24.1.3.jar')
    expect(lib).not.toContain('xlr-server-23.3.0.jar')
    const state = await homeState(older)
    expect(state.has('conf/after-backup.txt')).toBe(false)
  })
})
