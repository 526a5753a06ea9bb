import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { checkActionMetadata, MAX_DESCRIPTION } from '../../scripts/lint-actions/action-metadata.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const actionYml = (): Record<string, unknown> => parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))

describe('action.yml metadata check', () => {
  it('accepts the generated action.yml (node24, a short description, branding)', () => {
    const doc = actionYml()
    expect((doc.runs as { using: string }).using).toBe('node24')
    expect(checkActionMetadata(doc, ROOT)).toEqual([])
  })

  it('refuses a description the Marketplace would refuse', () => {
    const doc = { ...actionYml(), description: 'x'.repeat(MAX_DESCRIPTION) }
    expect(checkActionMetadata(doc, ROOT)).toEqual([
      `action.yml: 'description' has ${MAX_DESCRIPTION} characters; the Marketplace takes fewer than ${MAX_DESCRIPTION}`
    ])
  })

  it('refuses an unknown runtime, a missing main file and post-if without post', () => {
    const doc = actionYml()
    expect(checkActionMetadata({ ...doc, runs: { using: 'node12', main: 'dist/index.js' } }, ROOT)).toEqual([
      "action.yml: 'runs.using' is 'node12'; this action is a JavaScript action: node20 or node24"
    ])
    expect(
      checkActionMetadata({ ...doc, runs: { using: 'node24', main: 'dist/nope.js', 'post-if': 'always()' } }, ROOT)
    ).toEqual([
      "action.yml: 'runs.main' names dist/nope.js, which does not exist",
      "action.yml: 'runs.post-if' without 'runs.post'"
    ])
  })

  it('refuses inputs without descriptions, non-string defaults, unknown keys and bad branding', () => {
    const doc = {
      ...actionYml(),
      inputs: {
        good: { description: 'ok', default: '1' },
        'bad name': { description: 'x' },
        n: { default: 3, typo: 1 }
      },
      branding: { icon: 'archive', color: 'pink' },
      colour: 'blue'
    }
    expect(checkActionMetadata(doc, ROOT).sort()).toEqual(
      [
        "action.yml: unknown top-level key 'colour'",
        "action.yml: input 'bad name' is not a valid id",
        "action.yml: input 'n' needs a description",
        "action.yml: input 'n' has an unknown key 'typo'",
        "action.yml: input 'n' has a default that is not a string",
        "action.yml: 'branding.color' must be one of white, black, yellow, blue, green, orange, red, purple, gray-dark"
      ].sort()
    )
  })
})
