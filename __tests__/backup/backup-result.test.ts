import { parse } from 'yaml'
import { artifactExpiry, backupResult } from '../../src/commands/backup/backup-result.js'
import type { WrittenBackup } from '../../src/commands/backup/write-backup-file.js'
import { renderSummaryText } from '../../src/report/render-text.js'
import { Input } from '../../src/settings/inputs.js'
import { parseSettings } from '../../src/settings/parse.js'
import { settingsOf } from '../support/run-job.js'

const NOW = new Date('2026-11-30T02:30:00Z')
const SHA = 'ab'.repeat(32)

function written(encryption?: WrittenBackup['manifest']['encryption']): WrittenBackup {
  const dump = (role: 'repository' | 'archive', db: string): WrittenBackup['manifest']['databases'][number] => ({
    roles: [role],
    engine: 'postgresql',
    url: `jdbc:postgresql://db:5432/${db}`,
    host: 'db',
    port: 5432,
    database: db,
    embedded: false,
    dump: {
      format: 'pg-custom',
      prefix: `database/${role}/`,
      bytes: 2048,
      file: 'dump.pgdump',
      tool: { name: 'pg_dump', version: '15.19' },
      serverVersion: '15.19',
      startedAt: NOW.toISOString(),
      finishedAt: NOW.toISOString()
    }
  })
  return {
    manifest: {
      format: 'xlr-backup',
      formatVersion: 1,
      tool: { name: 'xlr-backup', version: '0.1.0' },
      createdAt: NOW.toISOString(),
      host: 'xlr-prod',
      home: {
        path: '/opt/xl-release',
        xlReleaseVersion: '24.3.1',
        era: 'sql',
        server: { httpPort: 5516, bindAddress: '0.0.0.0', contextRoot: '/', ssl: false }
      },
      components: [{ name: 'conf', files: 3, bytes: 4096 }],
      exclusions: [],
      databases: [dump('repository', 'xlrelease'), dump('archive', 'xlarchive')],
      ...(encryption ? { encryption } : {})
    },
    files: 5,
    size: 10_485_760,
    sha256: SHA,
    manifestSha256: 'cd'.repeat(32),
    contentBytes: 20_971_520,
    seconds: 4
  }
}

describe('backup summary', () => {
  it('shows encryption, expiry, downtime and the step that restores this backup (artifact)', () => {
    const s = settingsOf({
      [Input.Home]: '/opt/xl-release',
      [Input.Name]: 'xlr-backup-prod-77',
      [Input.RetentionDays]: '30',
      [Input.StopCommand]: 'sudo systemctl stop xl-release',
      [Input.StartCommand]: 'sudo systemctl start xl-release'
    })
    const result = backupResult({
      settings: s,
      written: written({ format: 'age', recipients: 2, passphrase: false }),
      published: {
        name: 'xlr-backup-prod-77.zip.age',
        location: 'xlr-backup-prod-77.zip.age',
        size: 10_485_760,
        sha256: SHA,
        artifactId: 9,
        artifactUrl: 'https://github.com/acme/ops/actions/runs/77/artifacts/9'
      },
      seconds: 65,
      downtimeSeconds: 12.5,
      env: {
        GITHUB_RUN_ID: '77',
        GITHUB_REPOSITORY: 'acme/ops',
        GITHUB_RETENTION_DAYS: '90',
        GITHUB_ACTION_REPOSITORY: 'acme/xlr-backup',
        GITHUB_ACTION_REF: 'v1'
      },
      now: NOW
    })
    expect(renderSummaryText(result.summary)).toBe(
      [
        'XL Release backup xlr-backup-prod-77.zip.age',
        '============================================',
        'Home                /opt/xl-release',
        'XL Release version  24.3.1',
        'Stored in           artifact: xlr-backup-prod-77.zip.age',
        'Size                10.0 MiB',
        'Encrypted           yes (age, 2 recipients)',
        `SHA-256             ${SHA}`,
        'Expires             2026-12-30 (30 days)',
        'Files               5',
        'Content             20.0 MiB',
        'Archive time        4.0s (5.0 MiB/s)',
        'Server downtime     13s',
        'Total time          1m05s',
        'Download the artifact: https://github.com/acme/ops/actions/runs/77/artifacts/9',
        '',
        'Components',
        'Component  Files  Size',
        '---------  -----  -------',
        'conf       3      4.0 KiB',
        '',
        'Databases',
        'Roles       Engine      Database   Dump',
        '----------  ----------  ---------  ----------------------------------',
        'repository  postgresql  xlrelease  pg-custom, 2.0 KiB (pg_dump 15.19)',
        'archive     postgresql  xlarchive  pg-custom, 2.0 KiB (pg_dump 15.19)',
        '',
        'Restore this backup',
        '- uses: acme/xlr-backup@v1',
        '  with:',
        '    mode: restore',
        '    home: /opt/xl-release',
        '    storage: artifact',
        '    name: xlr-backup-prod-77.zip.age',
        "    run-id: '77'",
        '    repository: acme/ops',
        '    decryption-identity: ${{ secrets.XLR_BACKUP_AGE_KEY }}',
        '    database-password: ${{ secrets.XLR_DB_PASSWORD }}',
        '    archive-database-password: ${{ secrets.XLR_ARCHIVE_DB_PASSWORD }}',
        '    stop-command: sudo systemctl stop xl-release',
        '    start-command: sudo systemctl start xl-release'
      ].join('\n')
    )
  })

  it('gives a restore step that parses back into the settings of a restore of the same backup (directory)', () => {
    const s = settingsOf({
      [Input.Home]: "/srv/xl release/it's",
      [Input.Storage]: 'directory',
      [Input.Path]: '/backups/xl-release',
      [Input.Name]: 'nightly'
    })
    const result = backupResult({
      settings: s,
      written: written({ format: 'age', recipients: 0, passphrase: true }),
      published: { name: 'nightly.zip.age', location: '/backups/xl-release/nightly.zip.age', size: 1, sha256: SHA },
      seconds: 5,
      downtimeSeconds: null,
      env: {},
      now: NOW
    })
    const facts = Object.fromEntries(result.summary.facts)
    expect(facts['Server downtime']).toBe('none caused: the server was not running')
    expect(facts.Encrypted).toBe('yes (age, passphrase)')
    expect(facts.Expires).toBeUndefined()
    const [step] = parse(result.summary.snippets![0].text) as { uses: string; with: Record<string, string> }[]
    expect(step.uses).toBe('acme/xlr-backup@v1')
    const restore = parseSettings(name => (name === Input.EncryptionPassphrase ? 'pw' : (step.with[name] ?? '')), {})
    expect(restore).toMatchObject({
      mode: 'restore',
      home: "/srv/xl release/it's",
      storage: { kind: 'directory', path: '/backups/xl-release', name: 'nightly.zip.age' }
    })
    expect(step.with[Input.EncryptionPassphrase]).toBe('${{ secrets.XLR_BACKUP_PASSPHRASE }}')
  })

  it('dates the artifact expiry as the toolkit caps it', () => {
    expect(artifactExpiry(400, { GITHUB_RETENTION_DAYS: '90' }, NOW)).toBe('2027-02-28 (90 days)')
    expect(artifactExpiry(null, { GITHUB_RETENTION_DAYS: '14' }, NOW)).toBe('2026-12-14 (14 days)')
    expect(artifactExpiry(1, {}, NOW)).toBe('2026-12-01 (1 day)')
    expect(artifactExpiry(null, {}, NOW)).toBe("after the repository's retention period")
  })
})
