import * as path from 'node:path'
import { XlrBackupError } from '../shared/errors.js'
import { readConfigText } from './config-text.js'
import { replaceConfigFile } from './replace-config-file.js'
import { getValue, parseHocon } from './hocon.js'

export const MAINTENANCE_KEY = 'xl.maintenance.enabled'
const BEGIN = '# >>> xlr-backup: maintenance mode >>>'
const END = '# <<< xlr-backup: maintenance mode <<<'

/**
 * Puts the server of `confDir` (a restored, staged conf/) in the vendor's maintenance mode: triggers, task execution,
 * notifications and archiving stay suspended until someone turns it off. Like the drill database override, a marked
 * block is appended (later keys win in HOCON, over an `xl.maintenance` block or include above) and a block added by
 * an earlier run is replaced; the result is read back with the same reader the tool reads homes with and must say
 * `true` before it replaces the file. Returns false when the config already enabled it (the file is left as it is).
 */
export async function enableMaintenanceMode(confDir: string): Promise<boolean> {
  const confFile = path.join(confDir, 'xl-release.conf')
  const original = readConfigText(confFile) ?? ''
  const options = { unresolved: 'keep' as const, classpathDirs: [confDir] }
  if (isEnabled(getValue(parseHocon(original, confFile, options), MAINTENANCE_KEY))) return false
  const text = withMaintenanceBlock(original)
  if (!isEnabled(getValue(parseHocon(text, confFile, options), MAINTENANCE_KEY))) {
    throw new XlrBackupError(
      `Setting ${MAINTENANCE_KEY} = true in ${confFile} did not take effect; the file was left unchanged. Check it ` +
        "for settings that override the end of the file, or set 'maintenance-mode: false' and set it by hand."
    )
  }
  await replaceConfigFile(confFile, text)
  return true
}

/** The text with the maintenance block at its end (an earlier block of ours removed first). */
export function withMaintenanceBlock(confText: string): string {
  let text = confText
  const start = text.indexOf(BEGIN)
  const stop = start < 0 ? -1 : text.indexOf(END, start)
  if (stop >= 0)
    text = text.slice(0, start).replace(/\n\n$/, '\n') + text.slice(stop + END.length).replace(/^\r?\n/, '')
  if (text !== '' && !text.endsWith('\n')) text += '\n'
  const block = [
    BEGIN,
    '# Added by xlr-backup: this restored server starts in maintenance mode (no triggers, tasks, notifications or',
    '# archiving). To leave it, remove this block (or set the key to false) and restart the server.',
    `${MAINTENANCE_KEY} = true`,
    END
  ]
  return `${text}${text === '' ? '' : '\n'}${block.join('\n')}\n`
}

/** HOCON gives `true` as a boolean, a quoted "true" as a string; the server's config library reads both as true. */
function isEnabled(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true')
}
