import { startAndWait, portAnswers } from './guard/start-server.js'
import { decodeStoppedServer, SERVER_STOPPED_STATE } from './lifecycle/post-state.js'
import { commandLogger as logger, getInput, getState, setFailed } from './report/workflow-commands.js'
import { findUnfinishedJournals } from './restore-engine/journal.js'
import { Input } from './settings/inputs.js'

const POLL_MS = 1000
const PROBE_TIMEOUT_MS = 1500
const DEFAULT_START_TIMEOUT = 600

/**
 * The action's post step (`post-if: always()`): when the main step stopped XL Release and ended without starting it
 * again (the runner killed it after a cancel or timeout, or it crashed), run the start-command. It does nothing when
 * the main step recorded nothing, when the server already answers, and it refuses while a restore it interrupted has
 * half-changed the home (starting the server on that would be worse than leaving it down).
 */
export async function runPost(): Promise<void> {
  const recorded = getState(SERVER_STOPPED_STATE)
  const server = decodeStoppedServer(recorded)
  if (!server) {
    if (recorded) logger.warning(`The main step left a record this post step does not understand; nothing is started.`)
    else logger.debug('The main step left no stopped server behind: nothing to do.')
    return
  }
  const probe = { port: server.port, addresses: server.addresses, probeTimeoutMs: PROBE_TIMEOUT_MS }
  logger.info(`The main step stopped XL Release (home ${server.home}) and did not start it again.`)
  if (await portAnswers(probe)) {
    logger.info(`XL Release already answers on port ${server.port}: nothing to start.`)
    return
  }
  let changing: string[]
  try {
    changing = (await findUnfinishedJournals(server.home)).filter(j => j.journal.swapsBegan).map(j => j.file)
  } catch (error) {
    setFailed(
      `XL Release was not started: the restore journal in ${server.home} cannot be read (${(error as Error).message}). ` +
        'Check the home, then start the server by hand.'
    )
    return
  }
  if (changing.length > 0) {
    setFailed(
      `XL Release was not started: the main step was killed while a restore was changing the home (journal ` +
        `${changing.join(', ')}). Run the action again with 'mode: restore' and '${Input.InterruptedRestore}: rollback' ` +
        `(or 'finish'), then start the server.`
    )
    return
  }
  const command = getInput(Input.StartCommand)
  if (!command) {
    setFailed(`XL Release is stopped and no '${Input.StartCommand}' is set: start it by hand.`)
    return
  }
  const timeoutSeconds = startTimeout(getInput(Input.StartTimeout))
  try {
    await startAndWait(
      {
        command,
        timeoutSeconds,
        port: server.port,
        addresses: server.addresses,
        pollIntervalMs: POLL_MS,
        probeTimeoutMs: PROBE_TIMEOUT_MS,
        health: server.health
      },
      logger
    )
  } catch (error) {
    setFailed(`Starting XL Release in the post step failed: ${(error as Error).message}. Start it by hand.`)
  }
}

function startTimeout(text: string): number {
  const n = Number(text || DEFAULT_START_TIMEOUT)
  return Number.isInteger(n) && n >= 1 && n <= 86400 ? n : DEFAULT_START_TIMEOUT
}
