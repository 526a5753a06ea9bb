import { setTimeout as sleep } from 'node:timers/promises'
import { cancellation, CancelledError } from '../lifecycle/cancel.js'
import { runState, type Restart } from '../lifecycle/run-state.js'
import { InputError, ServerRunningError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { HomeInfo } from '../home/types.js'
import {
  blockingFindings,
  checkServer,
  DEFAULT_PROBE_TIMEOUT_MS,
  describeFindings,
  effectivePort,
  serverRunningError,
  warnNonBlocking
} from './check-server.js'
import { ServerStartError } from './errors.js'
import { addressesToProbe } from './port-probe.js'
import { defaultHealthUrl, type HealthTarget } from './health.js'
import { defaultProcessLister } from './process-list.js'
import { runShellCommand } from './shell-command.js'
import { startAndWait, StartFailure } from './start-server.js'
import type { GuardOptions, GuardReport, ServerControl } from './types.js'
import { Input } from '../shared/io-names.js'

export const DEFAULT_POLL_INTERVAL_MS = 1000
const FAILED_STOP_GRACE_MS = 10_000

/**
 * Runs `work` with XL Release stopped. A server found stopped is left stopped. A running one is stopped with the
 * stop-command (or the work is refused), every probe must clear before the work starts, and afterwards the
 * start-command runs whether the work succeeded or not. The work's own error always wins; a start failure is then
 * logged as an error. A server that came back while the work ran fails the work (its result may be inconsistent).
 * From the stop-command on, the start is registered with `runState`, so a cancel (or, in the action, the post step
 * after a kill) still starts the server; a cancelled work's error says whether that worked.
 */
export async function withServerStopped<T>(
  home: HomeInfo,
  control: ServerControl,
  opts: GuardOptions,
  logger: Logger,
  work: () => Promise<T>
): Promise<T> {
  validateControl(control)
  const purpose = opts.purpose ?? 'backup'
  // One lister for every round of probes.
  const probeOpts: GuardOptions = { ...opts, processLister: opts.processLister ?? defaultProcessLister() }

  const first = await checkServer(home, probeOpts, logger)
  if (!first.running) {
    warnNonBlocking(first, logger)
    logger.info(`XL Release is not running: it is left as found and will not be started after the ${purpose}.`)
    const result = await work()
    const restarted = await restartedDuringWork(home, probeOpts, logger, purpose)
    if (restarted) throw restarted
    return result
  }
  if (!control.stopCommand) throw serverRunningError(home, first, purpose)
  await opts.beforeStop?.()
  cancellation.throwIfCancelled()

  const owed = owedStart(home, control, probeOpts, logger, purpose)
  const restart = owed?.restart ?? null
  logger.info(`XL Release is running; stopping it for the ${purpose}:\n${describeFindings(blockingFindings(first))}`)
  try {
    const stopped = await stopServer(home, control, probeOpts, logger, purpose)
    opts.outage?.down()
    warnNonBlocking(stopped, logger)
  } catch (stopError) {
    // The stop-command ran and may have stopped part of the server: bring it back before reporting.
    await startAfterFailure(control, restart, logger, `stopping it for the ${purpose} failed`)
    throw stopError
  }

  let result: T
  try {
    // Cancelled while the server stopped: the work has not begun, so nothing is half done.
    cancellation.throwIfCancelled()
    result = await work()
  } catch (workError) {
    const started = await startAfterFailure(control, restart, logger, `the ${purpose} failed`)
    throw cancelledWork(workError, started, purpose) ?? workError
  }
  // Up again already: the start-command is not needed, and the work's result is in doubt.
  let restarted: ServerRunningError | null
  try {
    restarted = await restartedDuringWork(home, probeOpts, logger, purpose)
  } catch (checkError) {
    await startAfterFailure(control, restart, logger, `checking the server after the ${purpose} failed`)
    throw checkError
  }
  if (restarted) {
    runState.serverStarted()
    throw restarted
  }
  if (!control.startCommand) {
    logger.warning(
      `XL Release was stopped for the ${purpose} and no '${Input.StartCommand}' is set: it stays stopped. Start it yourself.`
    )
    return result
  }
  opts.outage?.starting()
  await owed!.finish()
  return result
}

/**
 * The start the guard owes from the moment it runs the stop-command, registered with `runState` so a signal
 * handler can call it too. It runs once however many ask: `restart` (after a failure or a cancel) logs a failure and
 * resolves false, `finish` (after the work succeeded) throws it.
 */
function owedStart(
  home: HomeInfo,
  control: ServerControl,
  opts: GuardOptions,
  logger: Logger,
  purpose: string
): { restart: Restart; finish: () => Promise<void> } | null {
  if (!control.startCommand) return null
  const { port } = effectivePort(home, opts)
  let running: Promise<void> | null = null
  const start = (workSucceeded: boolean): Promise<void> =>
    (running ??= startServer(home, control, opts, logger, purpose, workSucceeded).then(() => runState.serverStarted()))
  let outcome: Promise<boolean> | null = null
  const restart: Restart = () =>
    (outcome ??= start(false).then(
      () => true,
      (startError: unknown) => {
        logger.error((startError as Error).message)
        return false
      }
    ))
  runState.serverStopping(
    {
      home: home.path,
      port,
      addresses: addressesToProbe(home.server.bindAddress),
      health: healthTarget(home, control, port)
    },
    restart
  )
  return { restart, finish: () => start(true) }
}

/** A cancelled work's error, reworded to say what became of the server; null for any other error. */
function cancelledWork(error: unknown, started: boolean | null, purpose: string): CancelledError | null {
  const cancel =
    error instanceof CancelledError
      ? error
      : (error as { cause?: unknown } | null)?.cause instanceof CancelledError
        ? ((error as { cause: CancelledError }).cause as CancelledError)
        : null
  if (!cancel) return null
  const server =
    started === true
      ? 'the server was started again'
      : started === false
        ? `the server was stopped for the ${purpose} and starting it again failed (see the error above): start it by hand`
        : `the server was stopped for the ${purpose} and no 'start-command' is set: start it yourself`
  // A restore's own message tells what it undid; keep it and add the server's fate.
  const message =
    error === cancel ? `${cancel.message}: ${server}` : `${(error as Error).message}\n${cancel.message}: ${server}.`
  return new CancelledError(message, { cause: error })
}

/**
 * A supervisor (systemd `Restart=always`, a watchdog, a colleague) can start the server while the work runs; files
 * copied then may not match each other. That must fail loudly, not pass as a good result.
 */
async function restartedDuringWork(
  home: HomeInfo,
  opts: GuardOptions,
  logger: Logger,
  purpose: string
): Promise<ServerRunningError | null> {
  const after = await checkServer(home, opts, logger)
  if (!after.running) return null
  return new ServerRunningError(
    `XL Release was running again when the ${purpose} finished, so the ${purpose} may not be consistent. ` +
      `What the guard saw:\n${describeFindings(blockingFindings(after))}\n` +
      `Find what started it during the ${purpose} (for example a service with Restart=always, a watchdog or a ` +
      `scheduled job), keep it from doing so, and run the ${purpose} again.`
  )
}

function validateControl(control: ServerControl): void {
  const check = (value: number, input: Input): void => {
    if (!Number.isFinite(value) || value <= 0) {
      throw new InputError(input, `Input '${input}' must be a positive number of seconds, got '${value}'.`)
    }
  }
  check(control.stopTimeoutSeconds, Input.StopTimeout)
  check(control.startTimeoutSeconds, Input.StartTimeout)
}

async function stopServer(
  home: HomeInfo,
  control: ServerControl,
  opts: GuardOptions,
  logger: Logger,
  purpose: string
): Promise<GuardReport> {
  const seconds = control.stopTimeoutSeconds
  const deadline = Date.now() + seconds * 1000
  const started = Date.now()
  const run = await runShellCommand(control.stopCommand ?? '', Input.StopCommand, deadline - Date.now(), logger)
  if (run.timedOut) {
    throw new ServerRunningError(
      `The stop-command did not finish within stop-timeout (${seconds} s) and was killed; the ${purpose} was not ` +
        `started. Check the '${Input.StopCommand}', or increase '${Input.StopTimeout}' if the server needs longer to shut down.`
    )
  }
  // A failed stop-command (a unit name typo, a missing PID file) rarely stops the server: give the probes a short
  // grace instead of the whole stop-timeout, then report the command's failure.
  const failed = run.exitCode !== 0
  const how = run.exitCode === null ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`
  if (failed) logger.warning(`The stop-command ${how}; checking whether XL Release stopped anyway.`)
  const waitUntil = failed ? Math.min(deadline, Date.now() + FAILED_STOP_GRACE_MS) : deadline
  const interval = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
  for (;;) {
    const report = await checkServer(home, opts, logger)
    if (!report.running) {
      const after = ((Date.now() - started) / 1000).toFixed(1)
      if (failed) logger.warning(`The stop-command ${how}, but every probe says XL Release is stopped now; going on.`)
      else logger.info(`XL Release is stopped (${after} s after running the stop-command).`)
      return report
    }
    const left = waitUntil - Date.now()
    if (left <= 0) {
      const still = describeFindings(blockingFindings(report))
      if (failed) {
        throw new ServerRunningError(
          `The stop-command ${how} and XL Release is still running, so the ${purpose} was not started. Still up:\n` +
            `${still}\nFix the '${Input.StopCommand}' (its output is in the log above).`
        )
      }
      throw new ServerRunningError(
        `The stop-command finished, but XL Release was still running when stop-timeout (${seconds} s) ran out, ` +
          `so the ${purpose} was not started. Still up:\n${still}\n` +
          `Check that the '${Input.StopCommand}' stops the server of this home, or increase '${Input.StopTimeout}' if it needs ` +
          'longer to shut down.'
      )
    }
    await sleep(Math.min(interval, left))
  }
}

/**
 * After a failed stop or a failed work: try to start, but only log a failure so the first error stays the one
 * thrown. Returns whether the server was started (null: no start-command).
 */
async function startAfterFailure(
  control: ServerControl,
  restart: Restart | null,
  logger: Logger,
  what: string
): Promise<boolean | null> {
  if (!control.startCommand || !restart) {
    logger.warning(
      `XL Release may have been stopped by the stop-command and no '${Input.StartCommand}' is set: start it yourself.`
    )
    return null
  }
  logger.info(`Starting XL Release again because ${what}.`)
  return await restart()
}

async function startServer(
  home: HomeInfo,
  control: ServerControl,
  opts: GuardOptions,
  logger: Logger,
  purpose: string,
  workSucceeded: boolean
): Promise<void> {
  const { port } = effectivePort(home, opts)
  try {
    const seconds = await startAndWait(
      {
        command: control.startCommand ?? '',
        timeoutSeconds: control.startTimeoutSeconds,
        port,
        addresses: addressesToProbe(home.server.bindAddress),
        pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
        probeTimeoutMs: opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
        health: healthTarget(home, control, port)
      },
      logger
    )
    opts.onHealthy?.(seconds)
  } catch (err) {
    if (!(err instanceof StartFailure)) throw err
    throw new ServerStartError(
      workSucceeded
        ? `The ${purpose} itself succeeded, but XL Release was not started again: ${err.message}. Start it by hand.`
        : `Starting XL Release again after the failed ${purpose} failed too: ${err.message}. Start it by hand.`,
      workSucceeded
    )
  }
}

/** What must answer HTTP 200 after the start: the 'health-url', the server's own health URL, or nothing ('none'). */
function healthTarget(home: HomeInfo, control: ServerControl, port: number): HealthTarget | null {
  const given = control.healthUrl ?? ''
  if (given === 'none') return null
  return given === '' ? { url: defaultHealthUrl(home.server, port), verifyTls: false } : { url: given, verifyTls: true }
}
