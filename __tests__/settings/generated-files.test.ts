import { readFileSync } from 'node:fs'
import { renderActionYml, renderReadme } from '../../scripts/write-generated.js'
import { INPUTS } from '../../src/settings/inputs.js'
import { TOOL_VERSION } from '../../src/shared/tool.js'

describe('action.yml', () => {
  it('is generated from the inputs table (run: npx tsx scripts/write-generated.ts)', () => {
    expect(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')).toBe(renderActionYml())
  })

  it("keeps the README's input and output tables in step (run: npx tsx scripts/write-generated.ts)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    expect(readme).toBe(renderReadme(readme))
  })

  it('describes every input and runs on node24 from dist/', () => {
    const yml = renderActionYml()
    for (const input of INPUTS) expect(yml).toContain(`\n  ${input.name}:\n    description: '`)
    expect(yml).toContain('using: node24')
    expect(yml).toContain('main: dist/index.js')
  })

  it("records the package's version in every manifest", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(TOOL_VERSION).toBe(pkg.version)
  })
})
