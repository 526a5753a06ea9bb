/**
 * Writes action.yml from the inputs table (src/settings/inputs.ts), so the action, the CLI and the docs cannot
 * drift apart. `npx tsx scripts/write-action-yml.ts` rewrites it; a test fails when it is out of date.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { INPUTS, OUTPUTS } from '../src/settings/inputs.js'

export function renderActionYml(): string {
  const out: string[] = [
    '# Generated from src/settings/inputs.ts by scripts/write-action-yml.ts: edit the table, not this file.',
    'name: XL Release backup',
    'description: >-',
    '  Back up and restore an XL Release (Digital.ai Release) server: the complete home folder as a ZIP, its',
    "  databases with the vendors' own tools, stored as workflow artifacts, with verified, rollback-safe restores.",
    'author: xlr-backup',
    'branding:',
    '  icon: archive',
    '  color: blue',
    '',
    'inputs:'
  ]
  for (const input of INPUTS) {
    out.push(`  ${input.name}:`, `    description: ${yamlString(input.description)}`, '    required: false')
    out.push(`    default: ${yamlString(input.default)}`)
  }
  out.push('', 'outputs:')
  for (const output of OUTPUTS) {
    out.push(`  ${output.name}:`, `    description: ${yamlString(output.description)}`)
  }
  out.push('', 'runs:', '  using: node24', '  main: dist/index.js', '')
  return out.join('\n')
}

function yamlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../action.yml', import.meta.url), renderActionYml())
}
