import { parseSettings, defaultBackupName } from '../../src/settings/parse.js'
import { Input } from '../../src/settings/inputs.js'
import { InputError } from '../../src/shared/errors.js'
import { signingFixture } from '../support/signing-fixtures.js'
import { thrownBy } from '../support/thrown.js'

function reader(values: Partial<Record<Input, string>>) {
  return (name: Input): string => values[name] ?? ''
}

/** The settings these input values give, with no environment. */
const settingsOf = (values: Partial<Record<Input, string>>) => parseSettings(reader(values), {})
const RESTORE = { [Input.Mode]: 'restore', [Input.Name]: 'b', [Input.Home]: '/h' }

describe('parseSettings', () => {
  it('applies the defaults of the inputs table', () => {
    const s = settingsOf({ [Input.Home]: '/opt/xlr' })
    expect(s.mode).toBe('backup')
    expect(s.home).toBe('/opt/xlr')
    expect(s.storage.kind).toBe('artifact')
    expect(s.backup.compressionLevel).toBe(1)
    expect(s.backup.exclude).toEqual([])
    expect(s.backup.downtime).toBe('minimal')
    expect(s.database.mode).toBe('auto')
    expect(s.database.jobs).toBe(1)
    expect(s.server.stopTimeoutSeconds).toBe(300)
    expect(s.restore).toMatchObject({ components: 'default', safetyDump: true, resetIndexes: 'auto', dryRun: false })
    expect(s.storage.name).toMatch(/^xlr-backup-[A-Za-z0-9_.-]+-\d{8}T\d{6}Z$/)
  })

  it('reads repository from the environment when the input is unset', () => {
    const s = parseSettings(reader({ [Input.Home]: '/h' }), { GITHUB_REPOSITORY: 'acme/ops' })
    expect(s.storage.repository).toBe('acme/ops')
  })

  it.each([
    [{ [Input.Home]: '' }, Input.Home, /required for mode 'backup'/],
    [
      { [Input.Home]: '/h', [Input.Storage]: 'ftp' },
      Input.Storage,
      /"ftp"; valid values are 'artifact', 'directory', 'cache', 's3', 'azure'/
    ],
    [{ [Input.Home]: '/h', [Input.CompressionLevel]: '10' }, Input.CompressionLevel, /from 0 to 9, got 10/],
    [
      { [Input.Home]: '/h', [Input.Downtime]: 'sometimes' },
      Input.Downtime,
      /"sometimes"; valid values are 'minimal', 'full'/
    ],
    [{ [Input.Home]: '/h', [Input.CompressionLevel]: 'fast' }, Input.CompressionLevel, /whole number/],
    [{ [Input.Home]: '/h', [Input.Storage]: 'directory' }, Input.Path, /needs the 'path' input/],
    [{ [Input.Home]: '/h', [Input.Name]: 'nightly:1' }, Input.Name, /cannot be named with/],
    [
      { [Input.Mode]: 'restore', [Input.Name]: 'b', [Input.Home]: '/h', [Input.RunId]: 'abc' },
      Input.RunId,
      /whole number/
    ],
    [{ [Input.Mode]: 'restore', [Input.Name]: 'b', [Input.Home]: '/h', [Input.RunId]: '0' }, Input.RunId, /from 1 to/],
    [
      { [Input.Mode]: 'restore', [Input.Name]: 'b', [Input.Home]: '/h', [Input.Storage]: 'cache', [Input.RunId]: '5' },
      Input.RunId,
      /only applies to 'storage: artifact'/
    ],
    [{ [Input.Home]: '/h', [Input.DryRun]: 'yes' }, Input.DryRun, /'true' or 'false'/],
    [{ [Input.Home]: '/h', [Input.RetentionDays]: '401' }, Input.RetentionDays, /from 0 to 400, got 401/],
    [{ [Input.Home]: '/h', [Input.RetentionDays]: '-1' }, Input.RetentionDays, /from 0 to 400, got -1/],
    [{ [Input.Mode]: 'restore', [Input.Home]: '/h' }, Input.Name, /needs 'name'/],
    [{ [Input.Mode]: 'verify', [Input.Name]: 'a', [Input.NamePrefix]: 'b' }, Input.NamePrefix, /either 'name'/],
    ...['xl-release', 'a:b:c', ':0', '-x:0', 'xl release:0', '4294967295:0', 'x\n::error::y:0'].map(
      (owner): [Partial<Record<Input, string>>, Input, RegExp] => [
        { ...RESTORE, [Input.Owner]: owner },
        Input.Owner,
        /must be 'user:group', each a name or a number/
      ]
    ),
    [{ ...RESTORE, [Input.MaintenanceMode]: 'yes' }, Input.MaintenanceMode, /'auto', 'true', 'false'/],
    [{ ...RESTORE, [Input.AllowKeystoreMismatch]: 'maybe' }, Input.AllowKeystoreMismatch, /'true' or 'false'/]
  ])('refuses %j naming the input', (values, input, message) => {
    const caught = thrownBy(InputError, () => settingsOf(values))
    expect(caught.input).toBe(input)
    expect(caught.message).toMatch(message)
  })

  it('takes retention-days as upload-artifact does: 0 is the default, up to 400 passes to the toolkit', () => {
    const days = (value: string): number | null =>
      settingsOf({ [Input.Home]: '/h', [Input.RetentionDays]: value }).storage.retentionDays
    expect(days('0')).toBeNull()
    expect(days('')).toBeNull()
    expect(days('400')).toBe(400)
    expect(days('91')).toBe(91)
  })

  it('does not read the inputs a mode or storage does not use', () => {
    // What @github/local-action passes: the literal defaults of action.yml, and values meant for other modes.
    const unused = {
      [Input.Repository]: '${{ github.repository }}',
      [Input.RunId]: 'latest',
      [Input.RetentionDays]: 'forever',
      [Input.Components]: 'everything',
      [Input.SafetyDump]: 'maybe',
      [Input.InterruptedRestore]: 'ask'
    }
    const s = settingsOf({ ...unused, [Input.Home]: '/h', [Input.Storage]: 'directory', [Input.Path]: '/b' })
    expect(s.storage).toMatchObject({ kind: 'directory', repository: '', runId: null, retentionDays: null })
    expect(s.restore.components).toBe('default')
    const verify = settingsOf({
      [Input.Mode]: 'verify',
      [Input.Name]: 'x',
      [Input.CompressionLevel]: 'max',
      [Input.Port]: 'http'
    })
    expect(verify.backup.compressionLevel).toBe(1)
    expect(verify.server.port).toBeNull()
    // The same values are refused where they are used.
    expect(() => settingsOf({ ...unused, [Input.Mode]: 'restore', [Input.Home]: '/h', [Input.Name]: 'x' })).toThrow(
      InputError
    )
  })

  it('keeps passwords verbatim and splits key lists by line', () => {
    const s = settingsOf({
      [Input.Home]: '/h',
      [Input.DatabasePassword]: ' pa ss ',
      [Input.EncryptionRecipients]: 'age1aaa\n# comment\n\nage1bbb\n',
      [Input.Exclude]: 'log/**\r\nwork/**'
    })
    expect(s.database.repository.password).toBe(' pa ss ')
    expect(s.encryption.recipients).toEqual(['age1aaa', 'age1bbb'])
    expect(s.backup.exclude).toEqual(['log/**', 'work/**'])
  })

  it('names backups so they sort by time', () => {
    const a = defaultBackupName(new Date('2026-01-02T03:04:05.678Z'), 'xlr prod/1')
    const b = defaultBackupName(new Date('2026-11-02T03:04:05Z'), 'xlr prod/1')
    expect(a).toBe('xlr-backup-xlr-prod-1-20260102T030405Z')
    expect([b, a].sort()).toEqual([a, b])
  })
})

describe('signing inputs', () => {
  const inputError = (values: Partial<Record<Input, string>>): InputError =>
    thrownBy(InputError, () => settingsOf(values))

  it('reads the signing key for a backup, and trusted signers for a restore', () => {
    const backup = settingsOf({ [Input.Home]: '/h', [Input.SigningKey]: signingFixture('signer') })
    expect(backup.signing.key?.comment).toBe('xlr-test-signer')
    const restore = settingsOf({
      [Input.Mode]: 'verify',
      [Input.Name]: 'b',
      [Input.TrustedSigners]: `# ops\n${signingFixture('signer.pub')}\nops@example.com ${signingFixture('stranger.pub')}`
    })
    expect(restore.signing.trustedSigners.map(k => k.label)).toEqual(['xlr-test-signer', 'ops@example.com'])
    expect(restore.storage.trust).toEqual({ anyRun: false, branch: '', workflow: '' })
  })

  it.each([
    ['protected', /passphrase/],
    ['rsa', /'ssh-rsa' key/],
    ['signer.pub', /public key/]
  ])('refuses %s as a signing key, naming the input and the fix, never the key', (file, reason) => {
    const error = inputError({ [Input.Home]: '/h', [Input.SigningKey]: signingFixture(file) })
    expect(error.input).toBe(Input.SigningKey)
    expect(error.message).toMatch(reason)
    expect(error.message).toContain("Input 'signing-key' is not an unencrypted OpenSSH Ed25519 private key")
    expect(error.message).toContain("ssh-keygen -t ed25519 -N ''")
    const text = signingFixture(file)
    const keyBody = text.includes('PRIVATE KEY') ? text.split('\n')[1] : text.split(/\s+/)[1]
    expect(keyBody.length).toBeGreaterThan(20)
    expect(error.message).not.toContain(keyBody.slice(0, 20))
  })

  it('refuses a trusted signer that is not an Ed25519 public key, naming the line', () => {
    const error = inputError({
      [Input.Mode]: 'verify',
      [Input.Name]: 'b',
      [Input.TrustedSigners]: `${signingFixture('signer.pub')}\n${signingFixture('rsa.pub')}`
    })
    expect(error.input).toBe(Input.TrustedSigners)
    expect(error.message).toMatch(/line 2 \("ssh-rsa .*is not an Ed25519 public key: it is a 'ssh-rsa' key/)
  })

  it('reads the run filters and refuses a workflow that is not a file name', () => {
    const s = settingsOf({
      [Input.Mode]: 'verify',
      [Input.NamePrefix]: 'b-',
      [Input.BackupBranch]: 'release',
      [Input.BackupWorkflow]: '.github/workflows/nightly.yml',
      [Input.TrustAnyRun]: 'false'
    })
    expect(s.storage.trust).toEqual({ anyRun: false, branch: 'release', workflow: 'nightly.yml' })
    expect(inputError({ [Input.Mode]: 'verify', [Input.Name]: 'b', [Input.BackupWorkflow]: 'nightly' }).input).toBe(
      Input.BackupWorkflow
    )
  })
})

describe('the inputs of a restore that brings the server back', () => {
  const restore = (over: Partial<Record<Input, string>>) => parseSettings(reader({ ...RESTORE, ...over }), {}).restore
  it('reads owner as names or numbers, and defaults to the recorded owners', () => {
    expect(restore({}).owner).toBeNull()
    expect(restore({ [Input.Owner]: '10001:0' }).owner).toEqual({ user: 10001, group: 0 })
    expect(restore({ [Input.Owner]: 'xl-release:xl-release' }).owner).toEqual({
      user: 'xl-release',
      group: 'xl-release'
    })
  })
  it('defaults to maintenance mode for drills and to refusing a keystore mismatch', () => {
    expect(restore({})).toMatchObject({ maintenanceMode: 'auto', allowKeystoreMismatch: false })
    expect(restore({ [Input.MaintenanceMode]: 'false' }).maintenanceMode).toBe('false')
  })
})
