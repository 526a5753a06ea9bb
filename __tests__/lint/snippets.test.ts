import { parse } from 'yaml'
import { snippetsOf, toWorkflow, unknownInputs } from '../../scripts/lint-actions/snippets.js'

const ACTION = 'acme/xlr-backup@v1'

describe('README and docs examples as workflows', () => {
  it('finds every yaml block with the line of its fence', () => {
    const md = [
      '# t',
      '```yaml',
      'mode: backup',
      '```',
      'text',
      '```sh',
      'ls',
      '```',
      '```yml',
      '- run: true',
      '```'
    ].join('\n')
    expect(snippetsOf('README.md', md, ACTION).map(s => s.origin)).toEqual(['README.md:2', 'README.md:9'])
  })

  it('wraps a with-map, a step list and a workflow without a trigger into valid workflows', () => {
    const fromWith = parse(toWorkflow('mode: restore\nname: x', ACTION))
    expect(fromWith.jobs.example.steps[0]).toEqual({ uses: ACTION, with: { mode: 'restore', name: 'x' } })
    const fromSteps = parse(toWorkflow('- uses: acme/xlr-backup@v1\n  with:\n    mode: verify', ACTION))
    expect(fromSteps.jobs.example.steps[0].with).toEqual({ mode: 'verify' })
    const fromJobs = parse(toWorkflow('jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: []', ACTION))
    expect(fromJobs.on).toBe('workflow_dispatch')
  })

  it('names the inputs an example gives the action that the inputs table lacks', () => {
    const workflow = toWorkflow('mode: backup\nhome: /opt/x\ndatabse-password: x', ACTION)
    expect(unknownInputs(workflow)).toEqual(['databse-password'])
    expect(unknownInputs(toWorkflow('- uses: actions/checkout@v5\n  with:\n    fetch-depth: 0', ACTION))).toEqual([])
  })
})
