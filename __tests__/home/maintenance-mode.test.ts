import { readFile, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { enableMaintenanceMode, withMaintenanceBlock } from '../../src/home/maintenance-mode.js'
import { getValue, parseHoconFile } from '../../src/home/hocon.js'
import { HomeFixtures, SQL_ERA_HOME } from '../support/home-fixtures.js'

const fixtures = new HomeFixtures()
afterAll(() => fixtures.cleanup())

/** What the server would read: the file and its includes through the project's own HOCON reader. */
function maintenance(confDir: string): unknown {
  const conf = parseHoconFile(path.join(confDir, 'xl-release.conf'), { unresolved: 'keep', classpathDirs: [confDir] })
  return getValue(conf, 'xl.maintenance.enabled')
}

/** The conf/ of a SQL-era home (its own xl-release.conf, with includes, unless `text` replaces it). */
async function confDir(text?: string, extra: Record<string, string> = {}): Promise<string> {
  const files: Record<string, string> = { ...SQL_ERA_HOME, ...extra }
  if (text !== undefined) files['conf/xl-release.conf'] = text
  return path.join(await fixtures.home(files), 'conf')
}

describe('enableMaintenanceMode', () => {
  it('turns it on in a conf that never mentions it, keeping every other setting and include', async () => {
    const dir = await confDir()
    const before = await readFile(path.join(dir, 'xl-release.conf'), 'utf8')
    expect(maintenance(dir)).toBeUndefined()
    expect(await enableMaintenanceMode(dir)).toBe(true)
    expect(maintenance(dir)).toBe(true)
    const after = await readFile(path.join(dir, 'xl-release.conf'), 'utf8')
    expect(after.startsWith(before)).toBe(true)
  })

  it.each([
    [
      'an xl.maintenance block that turns it off',
      'xl {\n  maintenance {\n    enabled = false\n    restrictApiAccess = true\n  }\n}\n'
    ],
    ['a dotted key set to off', 'xl.maintenance.enabled = "false"\n'],
    ['an include that turns it off', 'include "maintenance.conf"\nxl.server.port = 5516\n']
  ])('overrides %s, and keeps its other keys', async (_label, text) => {
    const dir = await confDir(text, { 'conf/maintenance.conf': 'xl.maintenance.enabled = false\n' })
    expect(maintenance(dir)).not.toBe(true)
    expect(await enableMaintenanceMode(dir)).toBe(true)
    expect(maintenance(dir)).toBe(true)
    if (text.includes('restrictApiAccess')) {
      const conf = parseHoconFile(path.join(dir, 'xl-release.conf'))
      expect(getValue(conf, 'xl.maintenance.restrictApiAccess')).toBe(true)
    }
  })

  it('leaves a conf that already enables it as it is', async () => {
    const text = 'xl {\n  maintenance.enabled = true\n}\n'
    const dir = await confDir(text)
    expect(await enableMaintenanceMode(dir)).toBe(false)
    expect(await readFile(path.join(dir, 'xl-release.conf'), 'utf8')).toBe(text)
  })

  it('creates xl-release.conf when the restored conf has none', async () => {
    const dir = await confDir()
    await rm(path.join(dir, 'xl-release.conf'))
    expect(await enableMaintenanceMode(dir)).toBe(true)
    expect(maintenance(dir)).toBe(true)
  })

  it('replaces the block of an earlier run instead of stacking a second one', () => {
    const once = withMaintenanceBlock('xl.server.port = 5516')
    const twice = withMaintenanceBlock(once)
    expect(twice).toBe(once)
    expect(once.match(/xl\.maintenance\.enabled = true/g)).toHaveLength(1)
  })
})
