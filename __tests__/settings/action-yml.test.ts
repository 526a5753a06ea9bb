import { readFileSync } from 'node:fs'
import { renderActionYml } from '../../scripts/write-action-yml.js'
import { INPUTS } from '../../src/settings/inputs.js'

describe('action.yml', () => {
  it('is generated from the inputs table (run: npx tsx scripts/write-action-yml.ts)', () => {
    expect(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')).toBe(renderActionYml())
  })

  it('describes every input and runs on node24 from dist/', () => {
    const yml = renderActionYml()
    for (const input of INPUTS) expect(yml).toContain(`\n  ${input.name}:\n    description: '`)
    expect(yml).toContain('using: node24')
    expect(yml).toContain('main: dist/index.js')
  })
})
