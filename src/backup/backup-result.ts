import type { JobResult } from '../report/job-result.js'
import { Output } from '../settings/inputs.js'
import type { Settings } from '../settings/settings.js'
import type { PublishedBackup } from '../storage/types.js'
import { formatBytes, formatDuration } from '../shared/progress.js'
import type { WrittenBackup } from './write-backup-file.js'

/** Outputs and job summary of a finished backup. */
export function backupResult(input: {
  settings: Settings
  written: WrittenBackup
  published: PublishedBackup
  seconds: number
}): JobResult {
  const { written, published, seconds } = input
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
      ...(published.artifactId !== undefined
        ? {
            [Output.ArtifactId]: String(published.artifactId),
            [Output.ArtifactName]: published.name,
            [Output.ArtifactUrl]: published.artifactUrl ?? '',
            [Output.ArtifactDigest]: published.sha256
          }
        : {}),
      ...(published.cacheKey ? { [Output.CacheKey]: published.cacheKey } : {})
    },
    summary: {
      title: `XL Release backup ${published.name}`,
      facts: [
        ['Home', manifest.home.path],
        ['XL Release version', manifest.home.xlReleaseVersion ?? 'unknown'],
        ['Stored in', `${input.settings.storage.kind}: ${published.location}`],
        ['Size', `${formatBytes(published.size)}${manifest.encryption ? ' (age-encrypted)' : ''}`],
        ['SHA-256', published.sha256],
        ['Files', String(written.files)],
        ['Content', formatBytes(written.contentBytes)],
        ['Archive time', `${formatDuration(written.seconds)} (${formatBytes(rate)}/s)`],
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
      notes: []
    }
  }
}
