import * as path from 'node:path'
import { formatBytes } from '../shared/progress.js'
import type { RestorePlan } from './types.js'

/** The plan as text: what the dry-run prints and what a real restore logs before it starts. */
export function formatPlan(plan: RestorePlan): string {
  const lines: string[] = []
  lines.push(
    `Restore plan ${plan.id}: backup ${plan.backupName} into ${plan.home}${plan.homeExists ? '' : ' (created)'}`
  )
  if (plan.components.length === 0) lines.push('  Files: none')
  for (const c of plan.components) {
    const backup = `${formatBytes(c.backup.bytes)} in ${c.backup.files} files`
    if (c.action === 'add') {
      lines.push(`  add      ${c.name}  (${backup}; the home has none now)`)
    } else {
      const cur = c.current
      const now = cur ? (cur.type === 'directory' ? `${formatBytes(cur.bytes)} in ${cur.files} files` : cur.type) : ''
      lines.push(`  replace  ${c.name}  (now ${now}; backup ${backup}) -> current kept at ${c.keptAt}`)
    }
  }
  if (plan.rewriteConf)
    lines.push('  rewrite  conf/ of the backup before it goes in (restore drill: points at the drill database)')
  if (plan.databases.length === 0) lines.push('  Databases: none restored')
  for (const d of plan.databases) {
    const safety = d.safetyDumpDir ? `safety dump first into ${d.safetyDumpDir}` : 'NO safety dump (safety-dump: false)'
    lines.push(`  overwrite database ${d.role}: ${d.target}; ${safety}`)
  }
  const ir = plan.indexReset
  lines.push(
    ir.reset
      ? `  reset JCR indexes (${ir.reason}): contents of ${ir.folders.join(', ')} moved to ${path.join(plan.previousDir, 'jcr-indexes')}`
      : `  JCR indexes kept: ${ir.reason}`
  )
  const { space } = plan
  const enough = space.neededBytes <= space.freeBytes
  const inodes = space.freeInodes === null || space.neededInodes <= space.freeInodes
  lines.push(
    `  space: about ${formatBytes(space.neededBytes)} needed, ${formatBytes(space.freeBytes)} free on the ` +
      `filesystem of ${space.checkedPath}${enough ? '' : ' -- NOT ENOUGH: the restore would be refused'}`
  )
  if (!inodes) {
    lines.push(
      `  inodes: about ${space.neededInodes} needed, ${space.freeInodes} free -- NOT ENOUGH: the restore would be refused`
    )
  }
  lines.push(`  staging: ${plan.stagingDir}; journal: ${plan.journalPath}`)
  lines.push(`  previous folder (kept until you delete it): ${plan.previousDir}`)
  for (const w of plan.warnings) lines.push(`  WARNING: ${w}`)
  return lines.join('\n')
}
