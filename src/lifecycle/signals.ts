import { rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { killRunningCommands } from '../guard/shell-command.js'
import type { Logger } from '../shared/logger.js'
import { currentRunFolder } from '../shared/private-files.js'
import { cancellation } from './cancel.js'
import { runState } from './run-state.js'

export interface CancelHandling {
  logger: Logger
  /** Ends the process with this message (the action fails the step, the CLI prints it). */
  exit: (message: string) => void
  /**
   * How long the job gets to unwind by itself (its own clean-up starts the server) before the handler does it.
   * The runner sends SIGINT, SIGTERM 7.5 s later and kills 2.5 s after that, so this must be short.
   */
  graceMs?: number
}

const DEFAULT_GRACE_MS = 2000
const POLL_MS = 200
const SETTLE_MS = 1000
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Turns SIGINT/SIGTERM/SIGHUP into a cancel instead of an instant exit: the work stops at its next safe point and its
 * normal clean-up runs (start-command, removing the run folder). A job that has not ended after `graceMs` is left
 * behind: the handler starts the server the guard stopped, removes the run folder and ends the process — except
 * while a restore is changing the home, where starting the server would start it on half of each: then it waits for
 * the restore's rollback. Later signals are logged and otherwise ignored (SIGKILL still ends the process; the
 * action's post step then starts the server). Returns a function that removes the handlers.
 */
export function handleCancel(job: Promise<unknown>, handling: CancelHandling): () => void {
  const { logger } = handling
  let settled = false
  const ended = job.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    }
  )
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancellation.reason !== null) {
      logger.warning(`Received ${signal} again: still cleaning up (starting the server, removing temporary files).`)
      return
    }
    logger.warning(`Received ${signal}: cancelling; the server is started again if this run stopped it.`)
    cancellation.cancel(signal)
    void fallback(signal)
  }
  const fallback = async (signal: NodeJS.Signals): Promise<void> => {
    await sleep(handling.graceMs ?? DEFAULT_GRACE_MS)
    let told = false
    while (!settled && runState.homeChanging()) {
      if (!told) logger.warning('A restore is changing the home: waiting for it to roll back before anything else.')
      told = true
      await sleep(POLL_MS)
    }
    if (settled) return
    // A stop-command still running would stop the server again after the restart.
    killRunningCommands('stop-command')
    const restart = runState.pendingRestart()
    const started = restart ? await restart() : null
    // The job may have been waiting for this same start (a rollback just ended): its own error says more.
    await Promise.race([ended, sleep(SETTLE_MS)])
    if (settled) return
    // Synchronously from here to the exit: the abandoned job must not report its own failure in between.
    const folder = currentRunFolder()
    if (folder) rmSync(folder, { recursive: true, force: true })
    handling.exit(
      started === null
        ? `cancelled (${signal})`
        : started
          ? `cancelled (${signal}): the server was started again`
          : `cancelled (${signal}): the server was stopped by this run and starting it again failed (see the error above): start it by hand`
    )
  }
  for (const s of SIGNALS) process.on(s, onSignal)
  return () => {
    for (const s of SIGNALS) process.off(s, onSignal)
  }
}

/** Awaits the job with `handleCancel` in force, and removes the handlers however the job ends: what both front ends do. */
export async function awaitCancellable<T>(job: Promise<T>, handling: CancelHandling): Promise<T> {
  const stopHandling = handleCancel(job, handling)
  try {
    return await job
  } finally {
    stopHandling()
  }
}
