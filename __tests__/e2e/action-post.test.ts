/**
 * The bundled post step (dist/post/index.js, named by action.yml): with the main step's record of a stopped server
 * it runs the start-command and waits for the port; without one it does nothing.
 */
import { spawn, spawnSync } from 'node:child_process'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FAKE_SERVER_SCRIPT, freePort } from '../support/guard-fixtures.js'
import { probePort } from '../../src/guard/port-probe.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
let work: string
let pidFile: string

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'xlr-post-'))
  pidFile = path.join(work, 'server.pid')
})
afterEach(async () => {
  const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
  if (pid) process.kill(pid, 'SIGKILL')
  await rm(work, { recursive: true, force: true })
})

function runPost(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [path.join(root, postEntry())], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.on('close', code => resolve({ code, stdout }))
  })
}

function postEntry(): string {
  const yml = spawnSync('grep', ['-E', '^  post:', path.join(root, 'action.yml')]).stdout.toString()
  return yml.replace(/^\s*post:\s*/, '').trim()
}

test("action.yml runs dist/post/index.js always, and the bundle starts the server main's record names", async () => {
  expect(postEntry()).toBe('dist/post/index.js')
  expect(await readFile(path.join(root, 'action.yml'), 'utf8')).toContain("post-if: 'always()'")
  const port = await freePort()
  const marker = path.join(work, 'started')
  const start = `touch '${marker}'; nohup '${process.execPath}' '${FAKE_SERVER_SCRIPT}' ${port} '${pidFile}' > /dev/null 2>&1 &`
  const state = JSON.stringify({ home: work, port, addresses: ['127.0.0.1'] })

  const idle = await runPost({ 'INPUT_START-COMMAND': start })
  expect(idle.code).toBe(0)
  await expect(access(marker)).rejects.toThrow()

  const post = await runPost({
    'STATE_server-stopped': state,
    'INPUT_START-COMMAND': start,
    'INPUT_START-TIMEOUT': '20'
  })
  expect(post.stdout).toContain(`XL Release is up again: port ${port} answers`)
  expect(post.code).toBe(0)
  expect((await probePort('127.0.0.1', port, 500)).state).toBe('open')
})
