import { parseAllDocuments } from 'yaml'
import { INPUTS } from '../../src/settings/inputs.js'

/**
 * The YAML examples in the README and docs, turned into whole workflows that actionlint can check. An example is
 * a whole workflow (it has `jobs:`), a list of steps (`- uses: …`), or the `with:` of this action's step (`mode: …`).
 */

export interface Snippet {
  /** Where the example stands: `README.md:35` (the line of its opening fence). */
  origin: string
  /** The example as a complete workflow. */
  workflow: string
}

const FENCE = /^```ya?ml\s*$/

export function extractYamlBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i])) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i])
    blocks.push({ line: start + 1, text: body.join('\n') })
  }
  return blocks
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces)
  return text
    .split('\n')
    .map(l => (l.trim() === '' ? l : pad + l))
    .join('\n')
}

const HEAD = 'on: workflow_dispatch\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n'

/** Wraps one example into a workflow; `action` is how the examples name this action (`acme/xlr-backup@v1`). */
export function toWorkflow(text: string, action: string): string {
  if (/^jobs:/m.test(text)) {
    // A workflow may leave out its trigger in an example; actionlint requires one.
    return /^on:/m.test(text) ? text : `on: workflow_dispatch\n${text}`
  }
  if (/^- /m.test(text)) return HEAD + indent(text, 6)
  return `${HEAD}      - uses: ${action}\n        with:\n${indent(text, 10)}`
}

export function snippetsOf(file: string, markdown: string, action: string): Snippet[] {
  return extractYamlBlocks(markdown).map(block => ({
    origin: `${file}:${block.line}`,
    workflow: toWorkflow(block.text, action)
  }))
}

/** How the README and docs name this action in their examples. */
export const ACTION_REFERENCE = /^[\w.-]+\/xlr-backup@v\d+$/

/** Inputs an example gives this action that the inputs table does not have. */
export function unknownInputs(workflow: string): string[] {
  const known = new Set<string>(INPUTS.map(i => i.name))
  const unknown: string[] = []
  for (const doc of parseAllDocuments(workflow)) {
    const jobs = (doc.toJS() as { jobs?: Record<string, { steps?: { uses?: string; with?: object }[] }> })?.jobs
    for (const job of Object.values(jobs ?? {})) {
      for (const step of job.steps ?? []) {
        if (!step.uses || !(ACTION_REFERENCE.test(step.uses) || step.uses === './')) continue
        for (const name of Object.keys(step.with ?? {})) if (!known.has(name)) unknown.push(name)
      }
    }
  }
  return unknown
}
