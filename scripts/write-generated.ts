/**
 * Writes action.yml and the README's input and output tables from the inputs table (src/settings/inputs.ts), so the
 * action, the CLI and the docs cannot drift apart. `npx tsx scripts/write-generated.ts` rewrites them; a test fails
 * when they are out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { INPUTS, OUTPUTS } from '../src/settings/inputs.js'

/** The Marketplace refuses a description of 125 characters or more. */
export const ACTION_DESCRIPTION =
  'Back up and restore an XL Release server: its home and databases, checksummed, encrypted, with rollback-safe restores.'

export function renderActionYml(): string {
  const out: string[] = [
    '# Generated from src/settings/inputs.ts by scripts/write-generated.ts: edit the table, not this file.',
    'name: XL Release backup',
    `description: ${yamlString(ACTION_DESCRIPTION)}`,
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
  // The post step starts the server when the main step was killed after stopping it; always() runs it after a
  // cancel or a failure too. It is a bundle of its own, so it can never run a backup.
  out.push(
    '',
    'runs:',
    '  using: node24',
    '  main: dist/index.js',
    '  post: dist/post/index.js',
    "  post-if: 'always()'",
    ''
  )
  return out.join('\n')
}

/** The README with its inputs and outputs tables rendered from the table. */
export function renderReadme(readme: string): string {
  const inputs = [
    '| input | default | description |',
    '| --- | --- | --- |',
    ...INPUTS.map(
      i =>
        `| \`${i.name}\` | ${i.default ? `\`${i.default}\`` : ''} | ${cell(i.description)}${i.secret ? ' *(secret)*' : ''} |`
    )
  ]
  const outputs = [
    '| output | description |',
    '| --- | --- |',
    ...OUTPUTS.map(o => `| \`${o.name}\` | ${cell(o.description)} |`)
  ]
  return between(between(readme, 'inputs', inputs.join('\n')), 'outputs', outputs.join('\n'))
}

function between(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`
  const end = `<!-- ${marker}:end -->`
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${start} … ${end} markers`)
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

function yamlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../action.yml', import.meta.url), renderActionYml())
  const readme = new URL('../README.md', import.meta.url)
  writeFileSync(readme, renderReadme(readFileSync(readme, 'utf8')))
}
