/**
 * The command-line front end, run as a user runs it (`node bin/xlr-backup.js …`, the bundled CLI): backup, verify
 * and a restore dry run with directory storage; outputs on stdout as name=value, the summary on stderr, exit codes
 * 0 (done), 1 (the job failed), 2 (wrong command line); secrets only from the environment or a file, never a flag.
 */
import { execFile } from 'node:child_process'
import { chmod, readdir, stat, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { SAMPLE_VERSION } from '../../scripts/make-home.js'
import type { Manifest } from '../../src/format/manifest.js'
import { INPUTS } from '../../src/settings/inputs.js'
import { runCli, frontEndScene, sha256File, treeHash, type Run } from '../support/e2e-frontends.js'
import { createHash } from 'node:crypto'

const exec = promisify(execFile)

let tmp: string
let home: string
let dest: string
let port: string

frontEndScene('e2e-cli-', made => ({ tmp, home, port, backups: dest } = made))

/** stdout as outputs; every line must be name=value. */
function outputsOf(run: Run): Record<string, string> {
  const lines = run.stdout.split('\n').filter(l => l !== '')
  for (const line of lines) expect(line).toMatch(/^[a-z0-9-]+=/)
  return Object.fromEntries(lines.map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

function expectDone(run: Run): void {
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' })
}

const common = (): string[] => ['--storage', 'directory', '--path', dest, '--port', port, '--threads', '2']

describe('backup, verify, restore --dry-run', () => {
  let outputs: Record<string, string>

  test('backup: exit 0, outputs on stdout match the file, summary on stderr', async () => {
    const run = await runCli(['backup', '--home', home, '--name', 'cli-nightly-1', ...common()])
    expectDone(run)
    outputs = outputsOf(run)
    expect(outputs['backup-name']).toBe('cli-nightly-1.zip')
    expect(outputs['backup-path']).toBe(path.join(dest, 'cli-nightly-1.zip'))
    expect(outputs['backup-size']).toBe(String((await stat(outputs['backup-path'])).size))
    expect(outputs['backup-sha256']).toBe(await sha256File(outputs['backup-path']))
    expect(outputs['xl-release-version']).toBe(SAMPLE_VERSION)
    // The summary is text on stderr: title, facts, the components table.
    expect(run.stderr).toContain('XL Release backup cli-nightly-1.zip')
    expect(run.stderr).toMatch(/\nComponents\nComponent +Files +Size\n-+ +-+ +-+\n/)
    expect(run.stderr).toMatch(/\nconf +\d+ +\S+/)
    expect(run.stderr).toContain(outputs['backup-sha256'])
    expect((await readdir(dest)).sort()).toEqual(['cli-nightly-1.zip', 'cli-nightly-1.zip.sha256'])
  })

  test('verify: exit 0, verified=true; the same options work from XLR_* variables', async () => {
    const run = await runCli(['verify', '--storage', 'directory', '--path', dest, '--name', 'cli-nightly-1'])
    expectDone(run)
    expect(outputsOf(run)).toMatchObject({ verified: 'true', 'backup-name': 'cli-nightly-1.zip' })
    expect(run.stderr).toContain('Backup cli-nightly-1.zip verified')

    const fromEnv = await runCli(['verify'], {
      XLR_STORAGE: 'directory',
      XLR_PATH: dest,
      XLR_NAME_PREFIX: 'cli-nightly-'
    })
    expectDone(fromEnv)
    expect(outputsOf(fromEnv)).toMatchObject({ verified: 'true', 'backup-name': 'cli-nightly-1.zip' })
  })

  test('restore --dry-run: exit 0, prints the plan, changes nothing in the home or the storage', async () => {
    const before = await treeHash(home)
    const storedBefore = await treeHash(dest)
    const run = await runCli([
      'restore',
      '--home',
      home,
      '--name-prefix',
      'cli-nightly-',
      '--components',
      'all',
      '--dry-run',
      ...common()
    ])
    expectDone(run)
    const out = outputsOf(run)
    expect(out['backup-name']).toBe('cli-nightly-1.zip')
    expect(out['restored-components'].split(',')).toEqual(expect.arrayContaining(['conf', 'lib', 'repository']))
    expect(run.stderr).toContain('Restore plan (dry run: nothing changed) cli-nightly-1.zip')
    expect(await treeHash(home)).toBe(before)
    expect(await treeHash(dest)).toBe(storedBefore)
  })

  test('a job that fails exits 1 with one clear line on stderr and nothing on stdout', async () => {
    const run = await runCli(['verify', '--storage', 'directory', '--path', dest, '--name', 'cli-weekly-1'])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^xlr-backup: .*cli-weekly-1/m)
    expect(run.stderr).not.toMatch(/unexpected error/i)
  })
})

describe('secrets: never a flag; the environment or a file', () => {
  const password = 'Pa$$ w0rd!x7'
  const digest = createHash('sha256').update(password).digest('hex')
  /**
   * A repository database the action has no built-in tool for, dumped by a command that succeeds only when the
   * password it is given is the right one (compared by hash: the command line never holds the password).
   */
  const database = (name: string): string[] => [
    'backup',
    '--home',
    home,
    '--name',
    name,
    ...common(),
    '--database-url',
    'jdbc:oracle:thin:@127.0.0.1:1521/XEPDB1',
    '--database-username',
    'xlr',
    '--database-backup-command',
    `printf %s "$XLR_DB_PASSWORD" | sha256sum | grep -q ${digest} && echo dumped > "$XLR_DUMP_FILE"`
  ]

  function expectNoSecret(run: Run): void {
    expect(run.stdout).not.toContain(password)
    expect(run.stderr).not.toContain(password)
  }

  async function dumpOf(zip: string): Promise<Manifest['databases']> {
    const { stdout } = await exec('unzip', ['-p', zip, 'manifest.json'], { maxBuffer: 64 * 1024 * 1024 })
    return (JSON.parse(stdout) as Manifest).databases
  }

  test('--database-password is refused (exit 2) and says why and what to use instead', async () => {
    const run = await runCli([...database('cli-secret-flag'), '--database-password', password])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      'xlr-backup: --database-password would put a secret in the process list; set XLR_DATABASE_PASSWORD in the environment or use --database-password-file <path>'
    )
    expect(run.stdout).toBe('')
    expect((await readdir(dest)).filter(n => n.includes('cli-secret'))).toEqual([])
  })

  test('without the password the encrypted one in the config is named as the problem (exit 1)', async () => {
    const run = await runCli(database('cli-secret-none'))
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/encrypted password for xl\.database.*set the 'database-password' input/)
  })

  test('XLR_DATABASE_PASSWORD reaches the dump command and appears nowhere in the output', async () => {
    const run = await runCli(database('cli-secret-env'), { XLR_DATABASE_PASSWORD: password })
    expectDone(run)
    expectNoSecret(run)
    const dbs = await dumpOf(outputsOf(run)['backup-path'])
    expect(dbs.find(d => d.roles.includes('repository'))?.dump?.format).toBe('custom-command')
  })

  test('--database-password-file reaches the dump command (trailing newline dropped)', async () => {
    const file = path.join(tmp, 'db-password')
    await writeFile(file, `${password}\n`)
    await chmod(file, 0o600)
    const run = await runCli([...database('cli-secret-file'), '--database-password-file', file])
    expectDone(run)
    expectNoSecret(run)
    expect(outputsOf(run)['backup-name']).toBe('cli-secret-file.zip')
  })

  test('a wrong password makes the dump command, and so the backup, fail: the checks above are real', async () => {
    const run = await runCli(database('cli-secret-wrong'), { XLR_DATABASE_PASSWORD: 'not it' })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(await readdir(dest)).not.toContain('cli-secret-wrong.zip')
    expect((await readdir(dest)).filter(n => n.includes('partial'))).toEqual([])
  })
})

describe('the command line itself', () => {
  test('--help lists every input as an option, with the secret ones named by their variable', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    for (const spec of INPUTS.filter(i => i.name !== 'mode')) {
      expect(run.stdout).toContain(`  --${spec.name}`)
      if (spec.secret) {
        const variable = `XLR_${spec.name.toUpperCase().replace(/-/g, '_')}`
        expect(run.stdout).toContain(`--${spec.name} [secret: ${variable} or --${spec.name}-file]`)
      }
    }
    expect(run.stdout).toMatch(/Exit codes: 0 done, 1 the job failed, 2 wrong command line/)
  })

  test.each([
    [['backup', '--home', '/x', '--colour', 'red'], /unknown option --colour/],
    [['restroe', '--home', '/x'], /the first word must be 'backup', 'restore', 'verify' or 'prune', got "restroe"/],
    [['backup', '--home'], /--home needs a value/],
    [['backup', 'home'], /unexpected argument "home"/],
    [['verify', '--mode', 'backup'], /unknown option --mode/]
  ])('%j is a wrong command line: exit 2, the problem and a pointer to --help', async (args, message) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(message)
    expect(run.stderr).toContain("Run 'xlr-backup --help' for the options.")
  })

  test('no arguments: the usage on stdout and exit 2', async () => {
    const run = await runCli([])
    expect(run.code).toBe(2)
    expect(run.stdout).toMatch(/^Usage: xlr-backup <backup\|restore\|verify\|prune>/)
  })
})
