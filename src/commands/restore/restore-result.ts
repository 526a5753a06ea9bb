import type { Manifest } from '../../format/manifest.js'
import type { JobResult } from '../../report/job-result.js'
import type { RestoreResult } from '../../restore-engine/types.js'
import { Output } from '../../settings/inputs.js'
import type { Settings } from '../../settings/settings.js'
import { formatBytes, formatDuration } from '../../shared/progress.js'

/** Outputs and job summary of a restore (or of its dry-run plan). */
export function restoreResult(input: {
  settings: Settings
  manifest: Omit<Manifest, 'files'>
  name: string
  result: RestoreResult
  seconds: number
  /** More lines for the summary's facts (owners, keystore, maintenance mode). */
  facts?: [string, string][]
}): JobResult {
  const { settings, manifest, result, seconds } = input
  const dry = settings.restore.dryRun
  const plan = result.plan
  const facts: [string, string][] = [
    ['Home', settings.home],
    ['Backup', `${input.name} (made ${manifest.createdAt} on ${manifest.host})`],
    ['XL Release version of the backup', manifest.home.xlReleaseVersion ?? 'unknown'],
    [dry ? 'Would restore' : 'Restored', result.restored.join(', ') || 'nothing'],
    ['Kept what was replaced in', result.previousDir ?? '(nothing was replaced)'],
    ['Search indexes reset', result.indexesReset.length > 0 ? result.indexesReset.join(', ') : 'no'],
    ['Duration', formatDuration(seconds)],
    ...(input.facts ?? [])
  ]
  if (result.interrupted)
    facts.push(['Earlier interrupted restore', `${result.interrupted.action}: ${result.interrupted.id}`])
  if (plan)
    facts.push(['Space needed / free', `${formatBytes(plan.space.neededBytes)} / ${formatBytes(plan.space.freeBytes)}`])
  return {
    mode: 'restore',
    outputs: {
      [Output.BackupName]: input.name,
      [Output.XlReleaseVersion]: manifest.home.xlReleaseVersion ?? '',
      [Output.RestoredComponents]: result.restored.join(','),
      [Output.PreviousPath]: result.previousDir ?? '',
      [Output.DurationSeconds]: seconds.toFixed(1)
    },
    summary: {
      title: `${dry ? 'Restore plan (dry run: nothing changed)' : 'XL Release restore'} ${input.name}`,
      facts,
      tables: plan
        ? [
            {
              caption: 'Components',
              header: ['Component', 'Action', 'Backup size', 'Current size', 'Current kept at'],
              rows: plan.components.map(c => [
                c.name,
                c.action,
                formatBytes(c.backup.bytes),
                c.current ? formatBytes(c.current.bytes) : '-',
                c.keptAt ?? '-'
              ])
            },
            ...(plan.databases.length > 0
              ? [
                  {
                    caption: 'Databases overwritten',
                    header: ['Role', 'Target', 'Safety dump'],
                    rows: plan.databases.map(d => [d.role, d.target, d.safetyDumpDir ?? 'off'])
                  }
                ]
              : [])
          ]
        : [],
      notes: plan ? plan.warnings : []
    }
  }
}
