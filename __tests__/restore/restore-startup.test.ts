/**
 * A restore that starts the server again waits until it is healthy, reports the recovery time, and when the health
 * URL never says 200 fails the job while leaving the restored home as restored.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { makeHome } from '../../scripts/make-home.js'
import { ServerStartError } from '../../src/guard/index.js'
import { Input } from '../../src/settings/inputs.js'
import { Cleanup, fakeServerStartCommand, freePort, shellQuote, spawnFakeServer } from '../support/guard-fixtures.js'
import { run, runFailing, type Inputs } from '../support/run-job.js'
import { treeHash } from '../support/restore-fixtures.js'

const cleanup = new Cleanup()
let work: string
let home: string
let java: string
let port: number
let pidFile: string

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'xlr-restore-startup-'))
  home = path.join(work, 'home')
  await makeHome(home, { scale: 0.001 })
  await mkdir(path.join(work, 'jdk', 'bin'), { recursive: true })
  java = path.join(work, 'jdk', 'bin', 'java')
  await symlink(process.execPath, java)
  port = await freePort()
  pidFile = path.join(work, 'server.pid')
  cleanup.trackPidFile(pidFile)
})
afterEach(async () => {
  await cleanup.run()
  await rm(work, { recursive: true, force: true })
})

/** Backs the home up, changes its conf, and starts the stand-in server: what the restore then stops and starts. */
async function backedUpAndChanged(): Promise<{ inputs: (standbyAnswers: number) => Inputs; backedUpConf: string }> {
  const store = path.join(work, 'store')
  await run({
    [Input.Home]: home,
    [Input.Storage]: 'directory',
    [Input.Path]: store,
    [Input.Database]: 'none',
    [Input.Name]: 'b'
  })
  const backedUpConf = await treeHash(home, ['conf'])
  await writeFile(path.join(home, 'conf', 'changed-after-backup.txt'), 'x')
  const server = { java, cwd: home, port, pidFile }
  await spawnFakeServer(server)
  return {
    backedUpConf,
    inputs: standbyAnswers => ({
      [Input.Mode]: 'restore',
      [Input.Home]: home,
      [Input.Storage]: 'directory',
      [Input.Path]: store,
      [Input.Name]: 'b.zip',
      [Input.Database]: 'none',
      [Input.Port]: String(port),
      [Input.StopCommand]: `kill "$(cat ${shellQuote(pidFile)})"`,
      [Input.StartCommand]: fakeServerStartCommand({ ...server, standbyAnswers }),
      [Input.StopTimeout]: '20'
    })
  }
}

test('the restore waits through 503s for HTTP 200 and reports the recovery time by phase', async () => {
  const { inputs, backedUpConf } = await backedUpAndChanged()
  const { result, logger } = await run({ ...inputs(2), [Input.StartTimeout]: '30' })
  expect(await treeHash(home, ['conf'])).toBe(backedUpConf)
  expect(logger.messages('info').join('\n')).toContain(`it answers: HTTP 503.`)
  expect(Number(result.outputs['startup-seconds'])).toBeGreaterThan(0)
  const recovery = result.summary.facts.find(([label]) => label === 'Recovery time')?.[1]
  expect(recovery).toMatch(/^\S+: fetch \S+, verify \S+, restore \S+, startup \S+$/)
})

test('a health URL that never says 200: the job fails naming it and the last answer; the home stays restored', async () => {
  const { inputs, backedUpConf } = await backedUpAndChanged()
  const { error } = await runFailing({ ...inputs(1_000_000), [Input.StartTimeout]: '3' })
  expect(error).toBeInstanceOf(ServerStartError)
  expect(error.message).toContain(
    `The restore itself succeeded, but XL Release was not started again: http://127.0.0.1:${port}/ha/health did not ` +
      'answer HTTP 200 within start-timeout (3 s) after the start-command; its last answer was HTTP 503.'
  )
  expect(await treeHash(home, ['conf'])).toBe(backedUpConf)
  expect(await readFile(path.join(home, 'conf', 'changed-after-backup.txt')).catch(() => null)).toBeNull()
})

test('a backup that stopped the server shows its startup to healthy too', async () => {
  const { inputs } = await backedUpAndChanged()
  const restoreInputs = inputs(1)
  const { result } = await run({
    ...restoreInputs,
    [Input.Mode]: 'backup',
    [Input.Name]: 'again',
    [Input.StartTimeout]: '30'
  })
  expect(Number(result.outputs['startup-seconds'])).toBeGreaterThan(0)
  expect(result.summary.facts.find(([label]) => label === 'Startup to healthy')?.[1]).toMatch(/^\d+(\.\d)?s$/)
})
