/**
 * Interoperability with OpenSSH's own tool, both ways: what this code signs verifies with `ssh-keygen -Y verify`
 * (a backup's real .sig companion, split as docs/backup-format.md says), and what `ssh-keygen -Y sign` signs is
 * accepted by the restore's check; changed text, another namespace and an unknown key are refused by both.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { SignatureError } from '../../../src/shared/errors.js'
import { Input } from '../../../src/settings/inputs.js'
import { authenticate } from '../../../src/signing/authenticate.js'
import { makeCompanion, splitCompanion } from '../../../src/signing/companion.js'
import { parsePrivateKey, parseTrustedKey } from '../../../src/signing/ssh-keys.js'
import { SIGNATURE_NAMESPACE, statementText } from '../../../src/signing/statement.js'
import { makeDbHome } from '../../support/e2e-restore.js'
import { directoryJob, run } from '../../support/run-job.js'

let tmp: string
let key: string
let stranger: string

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
}

/** ssh-keygen -Y verify of `statementFile` against `sigFile`; exit status and what it printed. */
function sshVerify(statementFile: string, sigFile: string, namespace = SIGNATURE_NAMESPACE, signers = 'allowed') {
  const result = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', path.join(tmp, signers), '-I', 'backups@example.com', '-n', namespace, '-s', sigFile],
    { input: execFileSync('cat', [statementFile]), encoding: 'utf8' }
  )
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sshsig-interop-'))
  key = path.join(tmp, 'signer')
  stranger = path.join(tmp, 'stranger')
  keygen(key, 'nightly backups')
  keygen(stranger, 'someone else')
  await writeFile(path.join(tmp, 'allowed'), `backups@example.com ${await readFile(`${key}.pub`, 'utf8')}`)
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const statement = {
  file: 'xlr-backup-prod-20260101T000000Z.zip',
  sha256: '1'.repeat(64),
  manifestSha256: '2'.repeat(64)
}

describe('our signature, checked by ssh-keygen -Y verify', () => {
  it('is good, and refused for changed text, another namespace or a signer list without the key', async () => {
    const parts = splitCompanion(makeCompanion(statement, parsePrivateKey(await readFile(key, 'utf8'))))!
    await writeFile(path.join(tmp, 'ours.txt'), parts.statement)
    await writeFile(path.join(tmp, 'ours.sig'), parts.signature)
    const good = sshVerify(path.join(tmp, 'ours.txt'), path.join(tmp, 'ours.sig'))
    expect(good.output).toContain('Good "xlr-backup" signature for backups@example.com with ED25519 key')
    expect(good.status).toBe(0)

    await writeFile(path.join(tmp, 'changed.txt'), parts.statement.replace('sha256: 1', 'sha256: 3'))
    expect(sshVerify(path.join(tmp, 'changed.txt'), path.join(tmp, 'ours.sig')).status).not.toBe(0)
    expect(sshVerify(path.join(tmp, 'ours.txt'), path.join(tmp, 'ours.sig'), 'file').status).not.toBe(0)
    await writeFile(path.join(tmp, 'others'), `backups@example.com ${await readFile(`${stranger}.pub`, 'utf8')}`)
    expect(
      sshVerify(path.join(tmp, 'ours.txt'), path.join(tmp, 'ours.sig'), SIGNATURE_NAMESPACE, 'others').status
    ).not.toBe(0)
  })

  it("holds for a real backup's .sig companion, split with the sed lines of the docs", async () => {
    const store = path.join(tmp, 'store')
    const { dir: home } = await makeDbHome(path.join(tmp, 'home'), {})
    await run(
      directoryJob(home, store, {
        [Input.Name]: 'signed',
        [Input.Threads]: '2',
        [Input.SigningKey]: await readFile(key, 'utf8')
      })
    )
    expect((await readdir(store)).sort()).toEqual(['signed.zip', 'signed.zip.sha256', 'signed.zip.sig'])
    const sig = path.join(store, 'signed.zip.sig')
    execFileSync('sh', [
      '-c',
      `sed '/^-----BEGIN SSH SIGNATURE-----$/,$d' "$1" > "$2"`,
      'sh',
      sig,
      path.join(tmp, 'b.txt')
    ])
    execFileSync('sh', [
      '-c',
      `sed -n '/^-----BEGIN SSH SIGNATURE-----$/,$p' "$1" > "$2"`,
      'sh',
      sig,
      path.join(tmp, 'b.sig')
    ])
    const verified = sshVerify(path.join(tmp, 'b.txt'), path.join(tmp, 'b.sig'))
    expect(verified.status).toBe(0)
    const text = await readFile(path.join(tmp, 'b.txt'), 'utf8')
    const fileSha = execFileSync('sha256sum', [path.join(store, 'signed.zip')], { encoding: 'utf8' }).slice(0, 64)
    const manifestSha = execFileSync(
      'sh',
      ['-c', 'unzip -p "$1" manifest.json | sha256sum', 'sh', path.join(store, 'signed.zip')],
      {
        encoding: 'utf8'
      }
    ).slice(0, 64)
    expect(text).toBe(statementText({ file: 'signed.zip', sha256: fileSha, manifestSha256: manifestSha }))
  })
})

describe('allowed_signers namespaces= options, judged alike by ssh-keygen and by us', () => {
  it.each(['namespaces="xlr-backup"', 'namespaces="git,xlr-*"', 'namespaces="file,git"', 'namespaces="xlr-backup?"'])(
    '%s',
    async options => {
      const pub = (await readFile(`${key}.pub`, 'utf8')).trim()
      const line = `backups@example.com ${options} ${pub}`
      await writeFile(path.join(tmp, 'limited'), `${line}\n`)
      const companion = makeCompanion(statement, parsePrivateKey(await readFile(key, 'utf8')))
      const parts = splitCompanion(companion)!
      await writeFile(path.join(tmp, 'ns.txt'), parts.statement)
      await writeFile(path.join(tmp, 'ns.sig'), parts.signature)
      const theirs = sshVerify(path.join(tmp, 'ns.txt'), path.join(tmp, 'ns.sig'), SIGNATURE_NAMESPACE, 'limited')
      let ours = true
      try {
        authenticate(statement.file, companion, [parseTrustedKey(line)])
      } catch {
        ours = false
      }
      expect({ options, accepted: ours }).toEqual({ options, accepted: theirs.status === 0 })
    }
  )
})

describe('ssh-keygen -Y sign, checked by our verifier', () => {
  const trusted = async (file: string) => [parseTrustedKey(await readFile(`${file}.pub`, 'utf8'))]

  async function sshSign(signer: string, text: string, namespace = SIGNATURE_NAMESPACE): Promise<string> {
    const file = path.join(tmp, `msg-${Math.random().toString(16).slice(2)}.txt`)
    await writeFile(file, text)
    execFileSync('ssh-keygen', ['-Y', 'sign', '-f', signer, '-n', namespace, file], { stdio: 'pipe' })
    return text + (await readFile(`${file}.sig`, 'utf8'))
  }

  it('accepts a statement signed by ssh-keygen with a trusted key', async () => {
    const companion = await sshSign(key, statementText(statement))
    const result = authenticate(statement.file, companion, await trusted(key))
    expect(result.sha256).toBe(statement.sha256)
    expect(result.signer.label).toBe('nightly backups')
  })

  it('refuses changed text, another namespace and an unknown key', async () => {
    const companion = await sshSign(key, statementText(statement))
    expect(() =>
      authenticate(statement.file, companion.replace('manifest-sha256: 2', 'manifest-sha256: 4'), [])
    ).toThrow(SignatureError)
    expect(() =>
      authenticate(statement.file, companion.replace('manifest-sha256: 2', 'manifest-sha256: 4'), [])
    ).toThrow(/does not match the signed text/)
    const fileNamespace = await sshSign(key, statementText(statement), 'file')
    expect(() => authenticate(statement.file, fileNamespace, [])).toThrow(/namespace 'file', not 'xlr-backup'/)
    const foreign = await sshSign(stranger, statementText(statement))
    const strangerPrint = execFileSync('ssh-keygen', ['-lf', `${stranger}.pub`], { encoding: 'utf8' }).split(' ')[1]
    expect(() => authenticate(statement.file, foreign, [])).toThrow(
      `Backup ${statement.file} is signed by key ${strangerPrint}, which is not in 'trusted-signers'`
    )
    expect(() => authenticate(statement.file, foreign, [])).not.toThrow(/does not match/)
  })
})
