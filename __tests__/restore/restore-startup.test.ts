/**
 * A restore that starts the server again waits until it is healthy, reports the recovery time, and when the health
 * URL never says 200 fails the job while leaving the restored home as restored.
 */
import { readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { ServerStartError } from '../../src/guard/index.js'
import { IntegrityError } from '../../src/shared/errors.js'
import { Input } from '../../src/settings/inputs.js'
import { Cleanup, fakeServerStartCommand, freePort } from '../support/guard-fixtures.js'
import { directoryJob, run, runFailing, type Inputs } from '../support/run-job.js'
import { treeHash } from '../support/restore-fixtures.js'
import { scratchHome } from '../support/scratch.js'
import { standIn, type StandIn } from '../support/standin-server.js'

const cleanup = new Cleanup()
let work: string
let home: string
let port: number
let server: StandIn

// Declared before the folder's removal, so it runs first: the server whose PID file is in the folder is killed.
afterEach(() => cleanup.run())
scratchHome('xlr-restore-startup-', 0.001, made => ({ work, home } = made), { each: true })
beforeEach(async () => {
  port = await freePort()
  server = await standIn(work, home, port, cleanup)
})

/** Backs the home up, changes its conf, and starts the stand-in server: what the restore then stops and starts. */
async function backedUpAndChanged(): Promise<{ inputs: (standbyAnswers: number) => Inputs; backedUpConf: string }> {
  const store = path.join(work, 'store')
  await run(directoryJob(home, store, { [Input.Name]: 'b' }))
  const backedUpConf = await treeHash(home, ['conf'])
  await writeFile(path.join(home, 'conf', 'changed-after-backup.txt'), 'x')
  await server.start()
  return {
    backedUpConf,
    inputs: standbyAnswers =>
      directoryJob(home, store, {
        [Input.Mode]: 'restore',
        [Input.Name]: 'b.zip',
        [Input.Port]: String(port),
        [Input.StopCommand]: server.stopCommand,
        [Input.StartCommand]: fakeServerStartCommand({ ...server.server, standbyAnswers }),
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

test('a backup file that does not match its digest is refused before a running server is stopped', async () => {
  const { inputs } = await backedUpAndChanged()
  // Every entry still checks out: only the whole-file digest tells.
  await writeFile(path.join(work, 'store', 'b.zip.sha256'), `${'0'.repeat(64)}  b.zip\n`)
  const before = await treeHash(home, ['conf'])
  const { error, logger } = await runFailing({ ...inputs(1), [Input.StartTimeout]: '30' })
  expect(error).toBeInstanceOf(IntegrityError)
  expect(error.message).toMatch(/b\.zip/)
  expect(logger.messages('info').join('\n')).not.toContain('stopping it for the restore')
  expect(await server.running()).toBe(true)
  expect(await treeHash(home, ['conf'])).toBe(before)
})
