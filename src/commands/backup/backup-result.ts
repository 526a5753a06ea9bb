import type { JobResult } from '../../report/job-result.js'
import { Output } from '../../settings/inputs.js'
import type { Settings } from '../../settings/settings.js'
import type { PublishedBackup } from '../../storage/types.js'
import { formatBytes, formatDuration } from '../../shared/progress.js'
import type { WrittenBackup } from './write-backup-file.js'
import { restoreStepYaml } from './restore-step.js'

/** Outputs and job summary of a finished backup. */
export function backupResult(input: {
  settings: Settings
  written: WrittenBackup
  published: PublishedBackup
  seconds: number
  /** How long the server this run stopped was down; null when it was not running to begin with. */
  downtimeSeconds: number | null
  /** The downtime mode the run really used ('full' after a fall-back from 'minimal'). */
  downtimeMode?: 'minimal' | 'full'
  env?: NodeJS.ProcessEnv
  now?: Date
}): JobResult {
  const { written, published, seconds, settings } = input
  const env = input.env ?? process.env
  const { manifest } = written
  const rate = written.seconds > 0 ? written.contentBytes / written.seconds : 0
  return {
    mode: 'backup',
    outputs: {
      [Output.BackupName]: published.name,
      [Output.BackupPath]: input.settings.storage.kind === 'directory' ? published.location : '',
      [Output.BackupSize]: String(published.size),
      [Output.BackupSha256]: published.sha256,
      [Output.XlReleaseVersion]: manifest.home.xlReleaseVersion ?? '',
      [Output.DurationSeconds]: seconds.toFixed(1),
      [Output.DowntimeSeconds]: input.downtimeSeconds === null ? '' : input.downtimeSeconds.toFixed(1),
      ...(published.artifactId !== undefined
        ? {
            [Output.ArtifactId]: String(published.artifactId),
            [Output.ArtifactName]: published.name,
            [Output.ArtifactUrl]: published.artifactUrl ?? '',
            [Output.ArtifactDigest]: published.sha256
          }
        : {}),
      ...(published.cacheKey ? { [Output.CacheKey]: published.cacheKey } : {}),
      ...(published.objectUrl ? { [Output.ObjectUrl]: published.objectUrl } : {})
    },
    summary: {
      title: `XL Release backup ${published.name}`,
      facts: [
        ['Home', manifest.home.path],
        ['XL Release version', manifest.home.xlReleaseVersion ?? 'unknown'],
        ['Stored in', `${input.settings.storage.kind}: ${published.location}`],
        ['Size', formatBytes(published.size)],
        ['Encrypted', encryptionFact(manifest)],
        ['SHA-256', published.sha256],
        ...(published.artifactId !== undefined
          ? [
              ['Expires', artifactExpiry(settings.storage.retentionDays, env, input.now ?? new Date())] as [
                string,
                string
              ]
            ]
          : []),
        ...(published.cacheKey
          ? [
              ['Expires', 'evicted by the cache after 7 days without use, or sooner when the cache is full'] as [
                string,
                string
              ]
            ]
          : []),
        ['Files', String(written.files)],
        ['Content', formatBytes(written.contentBytes)],
        ['Archive time', `${formatDuration(written.seconds)} (${formatBytes(rate)}/s)`],
        ['Server downtime', downtimeFact(input.downtimeSeconds, settings, input.downtimeMode)],
        ['Total time', formatDuration(seconds)]
      ],
      ...(published.artifactUrl ? { link: { text: 'Download the artifact', href: published.artifactUrl } } : {}),
      tables: [
        {
          caption: 'Components',
          header: ['Component', 'Files', 'Size'],
          rows: manifest.components.map(c => [c.name, String(c.files), formatBytes(c.bytes)])
        },
        ...(manifest.databases.length > 0
          ? [
              {
                caption: 'Databases',
                header: ['Roles', 'Engine', 'Database', 'Dump'],
                rows: manifest.databases.map(d => [
                  d.roles.join(', '),
                  d.engine,
                  d.database ?? d.url,
                  d.dump
                    ? `${d.dump.format}, ${formatBytes(d.dump.bytes)} (${d.dump.tool.name} ${d.dump.tool.version})`
                    : 'embedded: in the home archive'
                ])
              }
            ]
          : [])
      ],
      snippets: [
        {
          caption: 'Restore this backup',
          language: 'yaml',
          text: restoreStepYaml(settings, published, manifest, env)
        }
      ],
      notes: []
    }
  }
}

function encryptionFact(manifest: WrittenBackup['manifest']): string {
  const e = manifest.encryption
  if (!e) return 'no'
  return e.passphrase ? 'yes (age, passphrase)' : `yes (age, ${e.recipients} recipient${e.recipients === 1 ? '' : 's'})`
}

function downtimeFact(seconds: number | null, settings: Settings, mode: 'minimal' | 'full' | undefined): string {
  if (seconds === null) return 'none caused: the server was not running'
  if (!settings.server.startCommand) return `${formatDuration(seconds)} so far: it stays stopped (no 'start-command')`
  return mode ? `${formatDuration(seconds)} (downtime: ${mode})` : formatDuration(seconds)
}

/**
 * When the artifact expires: the days asked for, cut to the repository's maximum as the toolkit does, or the
 * repository's default. The runner gives that setting as GITHUB_RETENTION_DAYS.
 */
export function artifactExpiry(retentionDays: number | null, env: NodeJS.ProcessEnv, now: Date): string {
  const repositoryDays = Number.parseInt(env.GITHUB_RETENTION_DAYS ?? '', 10)
  const limit = Number.isNaN(repositoryDays) ? null : repositoryDays
  const days = retentionDays === null ? limit : limit === null ? retentionDays : Math.min(retentionDays, limit)
  if (days === null) return "after the repository's retention period"
  const date = new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10)
  return `${date} (${days} day${days === 1 ? '' : 's'})`
}
