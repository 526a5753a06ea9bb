import * as core from '@actions/core'
import { Input, INPUTS } from './settings/inputs.js'
import { parseSettings } from './settings/parse.js'
import { runJob } from './job.js'
import { actionsLogger } from './report/loggers.js'
import { writeJobSummary } from './report/render-actions.js'
import { XlrBackupError } from './shared/errors.js'
import { awaitCancellable } from './lifecycle/signals.js'
import { runState } from './lifecycle/run-state.js'
import { encodeStoppedServer, SERVER_STOPPED_STATE } from './lifecycle/post-state.js'

/**
 * The action's front end: inputs from the workflow, outputs and a job summary back to it. A stopped server is
 * recorded for the post step until it is started again, so even a killed main step leaves it to be started.
 */
export async function run(): Promise<void> {
  runState.subscribe({
    serverStopped: server => core.saveState(SERVER_STOPPED_STATE, encodeStoppedServer(server)),
    serverStarted: () => core.saveState(SERVER_STOPPED_STATE, '')
  })
  try {
    // Mask secret inputs before anything could echo them, even an input error.
    for (const spec of INPUTS.filter(i => i.secret)) {
      for (const line of core.getInput(spec.name).split(/\r?\n/)) {
        if (line.trim()) core.setSecret(line.trim())
      }
    }
    const settings = parseSettings((name: Input) => core.getInput(name))
    const logger = actionsLogger()
    const result = await awaitCancellable(runJob(settings, logger), {
      logger,
      exit: message => {
        core.setFailed(message)
        process.exit(1)
      }
    })
    for (const [name, value] of Object.entries(result.outputs)) {
      if (value !== undefined) core.setOutput(name, value)
    }
    await writeJobSummary(result.summary)
    if (result.failure) core.setFailed(result.failure)
  } catch (error) {
    if (error instanceof XlrBackupError) {
      core.setFailed(error.message)
    } else if (error instanceof Error) {
      // An unexpected failure: keep the stack in the debug log for the bug report.
      core.debug(error.stack ?? '')
      core.setFailed(`Unexpected error: ${error.message}`)
    } else {
      core.setFailed(`Unexpected error: ${String(error)}`)
    }
  }
}
