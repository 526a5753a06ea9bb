import { existsSync } from 'node:fs'
import { mkdir, readdir, stat, writeFile, chmod } from 'node:fs/promises'
import * as path from 'node:path'
import { SAMPLE_VERSION } from '../../scripts/make-home.js'
import { Input } from '../../src/settings/inputs.js'
import { openBackupArchive } from '../../src/archive/backup-archive.js'
import { DatabaseError, InputError } from '../../src/shared/errors.js'
import { directoryJob, run, runFailing } from '../support/run-job.js'
import { scratchHome } from '../support/scratch.js'

let work: string
let home: string

scratchHome('xlr-run-backup-', 0.003, made => ({ work, home } = made))
beforeAll(async () => {
  // What an earlier restore kept in the home: not part of the server, never archived again.
  await mkdir(path.join(home, '.xlr-restore-20260101T000000Z-ab12/previous/conf'), { recursive: true })
  await writeFile(path.join(home, '.xlr-restore-20260101T000000Z-ab12/previous/conf/old.conf'), 'old')
})

describe('backupCommand (core, directory storage)', () => {
  it('archives the home with a manifest, leaving earlier restores out', async () => {
    const store = path.join(work, 'store-ok')
    const { result } = await run(directoryJob(home, store, { [Input.Name]: 'nightly', [Input.Exclude]: 'log/**' }))
    expect(result.outputs['backup-name']).toMatch(/^nightly/)
    expect(result.outputs['xl-release-version']).toBe(SAMPLE_VERSION)
    const file = result.outputs['backup-path'] as string
    expect((await stat(file)).size).toBe(Number(result.outputs['backup-size']))
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const archive = await openBackupArchive(file)
    try {
      const names = [...archive.entries].map(e => e.name)
      expect(names).toContain('home/conf/xl-release-server.conf')
      expect(names.some(n => n.includes('.xlr-restore-'))).toBe(false)
      // The home's lock existed while the backup ran: never captured, and gone after the run.
      expect(names.some(n => n.includes('.xlr-backup.lock'))).toBe(false)
      expect(existsSync(path.join(home, '.xlr-backup.lock'))).toBe(false)
      expect(names.some(n => n.startsWith('home/log/') && n !== 'home/log/')).toBe(false)
      expect(archive.manifest.exclusions).toEqual([
        'log/**',
        '.xlr-restore-*/',
        '.xlr-backup.lock*',
        '.xlr-snapshot-*/'
      ])
      expect(archive.manifest.home.xlReleaseVersion).toBe(SAMPLE_VERSION)
      const conf = archive.manifest.components.find(c => c.name === 'conf')
      expect(conf?.files).toBeGreaterThan(0)
    } finally {
      await archive.close()
    }
    expect(result.summary.tables[0].rows.map(r => r[0])).toContain('repository')
  })

  it('leaves no file behind when a database dump fails', async () => {
    const store = path.join(work, 'store-fail')
    // The custom command fails after writing part of a dump.
    const failing = `echo partial > "$XLR_DUMP_DIR/part"; exit 3`
    const { error } = await runFailing({
      [Input.Home]: home,
      [Input.Storage]: 'directory',
      [Input.Path]: store,
      [Input.DatabaseUrl]: 'jdbc:oracle:thin:@//127.0.0.1:1/XE',
      [Input.DatabaseUsername]: 'xlr',
      [Input.DatabasePassword]: 'not-used-here',
      [Input.DatabaseBackupCommand]: failing,
      [Input.Name]: 'broken'
    })
    expect(error).toBeInstanceOf(DatabaseError)
    const left = await readdir(store).catch(() => [])
    expect(left.filter(n => n.includes('broken'))).toEqual([])
  })

  it('refuses a home that is a file, naming the path', async () => {
    const file = path.join(work, 'not-a-home')
    await writeFile(file, 'x')
    await chmod(file, 0o644)
    const { error } = await runFailing({ [Input.Home]: file, [Input.Storage]: 'directory', [Input.Path]: work })
    expect(error.message).toContain(file)
  })

  it('refuses encryption settings that mix a passphrase and recipients before any work', async () => {
    const { error } = await runFailing({
      [Input.Home]: home,
      [Input.Storage]: 'directory',
      [Input.Path]: path.join(work, 'store-enc'),
      [Input.EncryptionPassphrase]: 'correct horse',
      [Input.EncryptionRecipients]: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
    })
    expect(error).toBeInstanceOf(InputError)
  })
})
