import { compareVersions, detectVersion } from '../../src/home/version.js'
import { decideEra } from '../../src/home/read-home.js'

describe('compareVersions', () => {
  it.each([
    ['9.7.2', '10.0.0', -1],
    ['10.0.0', '9.7.2', 1],
    ['22.3.1', '22.3.1', 0],
    ['7.5', '7.5.0', 0],
    ['7.2.9', '7.5', -1],
    ['10.0.0-rc1', '10.0.0', -1],
    ['10.0.0', '10.0.0-rc1', 1],
    ['10.0.0-rc1', '10.0.0-rc2', -1],
    ['24.1.10', '24.1.9', 1]
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(Math.sign(compareVersions(a, b))).toBe(expected)
  })
})

describe('detectVersion', () => {
  it.each([
    [
      'reads xlr-server-X.Y.Z.jar (10.x and later)',
      ['guava-31.jar', 'xlr-server-22.3.4.jar', 'xlr-api-22.3.4.jar'],
      '/opt/xlr',
      { version: '22.3.4', source: 'lib/xlr-server-22.3.4.jar', others: [] }
    ],
    [
      'falls back to the home folder name',
      ['other.jar'],
      '/opt/xl-release-9.7.2-server',
      { version: '9.7.2', source: 'folder name xl-release-9.7.2-server', others: [] }
    ]
  ])('%s', (_name, jars, home, found) => {
    expect(detectVersion(jars, home)).toEqual(found)
  })

  it('reads xl-release-server-X.Y.Z.jar (older releases)', () => {
    expect(detectVersion(['xl-release-server-7.2.1.jar'], '/opt/xlr')?.version).toBe('7.2.1')
  })

  it('picks the newest when two server jars are present, and lists the others', () => {
    expect(detectVersion(['xlr-server-9.8.0.jar', 'xlr-server-10.1.2.jar'], '/opt/xlr')).toMatchObject({
      version: '10.1.2',
      others: ['9.8.0']
    })
  })

  it('keeps a qualifier', () => {
    expect(detectVersion(['xlr-server-10.3.0-rc.1.jar'], '/opt/xlr')?.version).toBe('10.3.0-rc.1')
  })

  it('prefers the jar over the folder name (the folder may be a copy kept after an upgrade)', () => {
    expect(detectVersion(['xlr-server-23.1.0.jar'], '/opt/xl-release-22.3.1-server')?.version).toBe('23.1.0')
  })

  it('gives null when nothing tells', () => {
    expect(detectVersion([], '/opt/xlr')).toBeNull()
    expect(detectVersion(['xlr-server.jar', 'xlr-server-latest.jar'], '/opt/xl-release-server')).toBeNull()
  })
})

describe('decideEra', () => {
  it('follows the version when known', () => {
    expect(decideEra('7.2.0', true, false)).toBe('jcr')
    expect(decideEra('7.5.0', false, true)).toBe('sql')
    expect(decideEra('22.3.1', false, false)).toBe('sql')
  })

  it('falls back on what the config and files show', () => {
    expect(decideEra(null, true, false)).toBe('sql')
    expect(decideEra(null, false, true)).toBe('jcr')
    expect(decideEra(null, false, false)).toBe('unknown')
  })
})
