import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../shared/logger.js'
import { formatHostPort, probePort } from './port-probe.js'
import { runShellCommand } from './shell-command.js'

export interface StartRequest {
  command: string
  timeoutSeconds: number
  port: number
  /** Where the port is probed (see addressesToProbe). */
  addresses: string[]
  pollIntervalMs: number
  probeTimeoutMs: number
}

/** Why a start did not bring the server up; the caller words the message around `reason`. */
export class StartFailure extends Error {}

/**
 * Runs the start-command and waits until the port answers, both within `timeoutSeconds`. Shared by the guard and
 * the action's post step, which has no home to read: everything it needs is in the request.
 */
export async function startAndWait(req: StartRequest, logger: Logger): Promise<void> {
  const deadline = Date.now() + req.timeoutSeconds * 1000
  const started = Date.now()
  let run
  try {
    run = await runShellCommand(req.command, 'start-command', deadline - Date.now(), logger)
  } catch (err) {
    throw new StartFailure(`the start-command could not be run (${(err as Error).message})`)
  }
  if (run.timedOut) {
    throw new StartFailure(
      `the start-command did not return within start-timeout (${req.timeoutSeconds} s) and was killed. It must return once the ` +
        "server is launched: use e.g. 'systemctl start xl-release' or 'nohup bin/run.sh > /dev/null 2>&1 &'"
    )
  }
  if (run.exitCode !== 0) {
    const how = run.exitCode === null ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`
    throw new StartFailure(`the start-command ${how} (its output is in the log above)`)
  }
  for (;;) {
    const open = await portAnswers(req)
    if (open) {
      logger.info(
        `XL Release is up again: port ${req.port} answers at ${formatHostPort(open, req.port)} ` +
          `(${((Date.now() - started) / 1000).toFixed(1)} s after the start-command).`
      )
      return
    }
    const left = deadline - Date.now()
    if (left <= 0) {
      throw new StartFailure(
        `nothing answered on port ${req.port} (${req.addresses.map(a => formatHostPort(a, req.port)).join(', ')}) within ` +
          `start-timeout (${req.timeoutSeconds} s) after the start-command; increase 'start-timeout' if the server starts slowly`
      )
    }
    await sleep(Math.min(req.pollIntervalMs, left))
  }
}

/** The first address where the port accepts a connection, or null. */
export async function portAnswers(
  req: Pick<StartRequest, 'port' | 'addresses' | 'probeTimeoutMs'>
): Promise<string | null> {
  const results = await Promise.all(req.addresses.map(a => probePort(a, req.port, req.probeTimeoutMs)))
  return results.find(r => r.state === 'open')?.address ?? null
}
