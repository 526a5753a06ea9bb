import type { ManifestHead } from './build-manifest.js'
import { Input } from '../../settings/inputs.js'
import type { Settings } from '../../settings/settings.js'
import type { PublishedBackup } from '../../storage/types.js'

/** How the examples name the action when the run does not say which copy of it ran (a local `uses: ./`). */
const PLACEHOLDER_ACTION = 'acme/xlr-backup@v1'

/**
 * The workflow step that restores exactly this backup, ready to paste: what the summary offers as the next step.
 * Secrets appear as `${{ secrets.… }}` references with the names the README uses, never as values.
 */
export function restoreStepYaml(
  settings: Settings,
  published: PublishedBackup,
  manifest: ManifestHead,
  env: NodeJS.ProcessEnv = process.env
): string {
  const action =
    env.GITHUB_ACTION_REPOSITORY && env.GITHUB_ACTION_REF
      ? `${env.GITHUB_ACTION_REPOSITORY}@${env.GITHUB_ACTION_REF}`
      : PLACEHOLDER_ACTION
  const inputs: [Input, string][] = [
    [Input.Mode, 'restore'],
    [Input.Home, settings.home],
    [Input.Storage, settings.storage.kind]
  ]
  if (settings.storage.kind === 'directory') inputs.push([Input.Path, settings.storage.path])
  inputs.push([Input.Name, published.name])
  if (settings.storage.kind === 'artifact' && env.GITHUB_RUN_ID) {
    // A restore runs in another workflow run: it has to name the run that holds the artifact.
    inputs.push([Input.RunId, env.GITHUB_RUN_ID])
    if (env.GITHUB_REPOSITORY) inputs.push([Input.Repository, env.GITHUB_REPOSITORY])
  }
  if (manifest.encryption?.passphrase) {
    inputs.push([Input.EncryptionPassphrase, '${{ secrets.XLR_BACKUP_PASSPHRASE }}'])
  } else if (manifest.encryption) {
    inputs.push([Input.DecryptionIdentity, '${{ secrets.XLR_BACKUP_AGE_KEY }}'])
  }
  const dumped = manifest.databases.filter(d => d.dump && !d.embedded)
  if (dumped.some(d => d.roles.includes('repository'))) {
    inputs.push([Input.DatabasePassword, '${{ secrets.XLR_DB_PASSWORD }}'])
  }
  if (dumped.some(d => d.roles.includes('archive') && !d.roles.includes('repository'))) {
    inputs.push([Input.ArchiveDatabasePassword, '${{ secrets.XLR_ARCHIVE_DB_PASSWORD }}'])
  }
  if (settings.server.stopCommand) inputs.push([Input.StopCommand, settings.server.stopCommand])
  if (settings.server.startCommand) inputs.push([Input.StartCommand, settings.server.startCommand])
  const lines = [`- uses: ${action}`, '  with:', ...inputs.map(([name, value]) => `    ${name}: ${yamlValue(value)}`)]
  return `${lines.join('\n')}\n`
}

/** A plain scalar where YAML reads it back unchanged, else single-quoted; multi-line values as a literal block. */
function yamlValue(value: string): string {
  if (value.includes('\n')) {
    return `|\n${value
      .split('\n')
      .map(l => `      ${l}`)
      .join('\n')}`
  }
  if (value.startsWith('${{') || /^[A-Za-z0-9_./@+-][A-Za-z0-9_./@+ -]*$/.test(value)) {
    if (!/^(true|false|null|~|yes|no|on|off|[-+]?[0-9.]+)$/i.test(value) && !value.endsWith(' ')) return value
  }
  return `'${value.replace(/'/g, "''")}'`
}
