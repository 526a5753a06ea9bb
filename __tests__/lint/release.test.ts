import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const notes = (tag: string): { status: number | null; stdout: string; stderr: string } =>
  spawnSync('bash', [path.join(ROOT, 'scripts/release-notes.sh'), tag], { encoding: 'utf8' })

describe('release notes', () => {
  it('CHANGELOG.md has a section with notes for the version in package.json', () => {
    const result = notes(`v${VERSION}`)
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^### /)
    expect(result.stdout).not.toMatch(/^## \[/m)
  })

  it('refuses a tag that is not vX.Y.Z or that disagrees with package.json', () => {
    expect(notes('v1').stderr).toContain("the tag 'v1' is not of the form vX.Y.Z")
    const other = notes('v999.0.0')
    expect(other.status).toBe(1)
    expect(other.stderr).toContain(`the tag says 999.0.0 but package.json says ${VERSION}`)
  })
})
