import { displayCommandLine, redactCommandLine } from '../../src/guard/index.js'

describe('redactCommandLine', () => {
  test.each([
    ['java -Dxl.repository.keystore.password=s3cr3t -cp lib/*', 'java -Dxl.repository.keystore.password=*** -cp lib/*'],
    ['java -Djavax.net.ssl.trustStorePassword="two words" X', 'java -Djavax.net.ssl.trustStorePassword=*** X'],
    ['tool --db-password hunter2 --verbose', 'tool --db-password *** --verbose'],
    ['tool --passphrase=abc', 'tool --passphrase=***'],
    ['env PGPASSWORD=abc pg_dump', 'env PGPASSWORD=*** pg_dump'],
    ['x --api-key=k1 --auth-token t2', 'x --api-key=*** --auth-token ***'],
    [
      "curl -u admin:'pa ss' -X POST http://localhost:5516/server/shutdown",
      'curl -u admin:*** -X POST http://localhost:5516/server/shutdown'
    ],
    [
      'curl -X POST http://admin:admin123@localhost:5516/server/shutdown',
      'curl -X POST http://admin:***@localhost:5516/server/shutdown'
    ],
    ['curl --user ops:Pw1 https://x', 'curl --user ops:*** https://x'],
    ['curl -u "ops:P w" https://x', 'curl -u ops:*** https://x'],
    ['curl -u ops https://x', 'curl -u ops https://x'],
    ['systemctl stop xl-release', 'systemctl stop xl-release'],
    [
      'java -cp conf:hotfix/lib/*:lib/* com.xebialabs.xlrelease.XLReleaseBootstrapper',
      'java -cp conf:hotfix/lib/*:lib/* com.xebialabs.xlrelease.XLReleaseBootstrapper'
    ]
  ])('%s', (input, expected) => {
    expect(redactCommandLine(input)).toBe(expected)
  })
})

describe('displayCommandLine', () => {
  test('redacts before it cuts, and says how much was cut', () => {
    const line = `java ${'-Dx=1 '.repeat(100)}-Dlast.password=${'p'.repeat(50)}`
    const shown = displayCommandLine(line, 200)
    expect(shown.startsWith('java -Dx=1')).toBe(true)
    expect(shown).toMatch(/… \(\d+ more characters\)$/)
    expect(displayCommandLine(line, 10_000)).toContain('-Dlast.password=***')
    expect(displayCommandLine(line, 10_000)).not.toContain('ppp')
  })

  test('collapses whitespace and keeps short lines whole', () => {
    expect(displayCommandLine('  java\n  -version  ')).toBe('java -version')
  })
})
