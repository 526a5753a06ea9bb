import { setTimeout as sleep } from 'node:timers/promises'
import { Input } from '../shared/io-names.js'
import type { Logger } from '../shared/logger.js'
import { askHealth, describeAnswer, displayUrl, type HealthAnswer, type HealthTarget } from './health.js'
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
  /** Asked once the port answers, until it says HTTP 200; null waits for the port alone ('health-url: none'). */
  health: HealthTarget | null
}

/** Why a start did not bring the server up; the caller words the message around `reason`. */
export class StartFailure extends Error {}

/**
 * Runs the start-command and waits until the port answers and then the health URL says HTTP 200, all within
 * `timeoutSeconds`; returns the seconds from the start-command to healthy (the startup time). Shared by the guard and
 * the action's post step, which has no home to read: everything it needs is in the request.
 */
export async function startAndWait(req: StartRequest, logger: Logger): Promise<number> {
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
      if (req.health) await waitUntilHealthy(req, req.health, deadline, logger)
      return (Date.now() - started) / 1000
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

/**
 * A port that accepts connections is not yet a usable server: asks the health URL until it answers 200. A 503 (a
 * standby node, or a server still starting) or no answer means not yet.
 */
async function waitUntilHealthy(
  req: StartRequest,
  health: HealthTarget,
  deadline: number,
  logger: Logger
): Promise<void> {
  const shown = displayUrl(health.url)
  let last: HealthAnswer | null = null
  for (;;) {
    // Asked with its whole probe timeout even near the deadline: a request cut short would report a timeout of its own.
    const answer = await askHealth(health, req.probeTimeoutMs)
    if ('status' in answer && answer.status === 200) {
      logger.info(`XL Release is healthy: ${shown} answers HTTP 200.`)
      return
    }
    if (last === null || describeAnswer(last) !== describeAnswer(answer)) {
      logger.info(`Waiting for ${shown} to answer HTTP 200; it answers: ${describeAnswer(answer)}.`)
    }
    last = answer
    const after = deadline - Date.now()
    if (after <= 0) {
      throw new StartFailure(
        `${shown} did not answer HTTP 200 within ${Input.StartTimeout} (${req.timeoutSeconds} s) after the start-command; ` +
          `its last answer was ${describeAnswer(answer)}. The server may still be starting (increase '${Input.StartTimeout}'), ` +
          `be a standby node (503), or the URL may be wrong (set '${Input.HealthUrl}', or 'none' to wait for the port only)`
      )
    }
    await sleep(Math.min(req.pollIntervalMs, after))
  }
}

/** The first address where the port accepts a connection, or null. */
export async function portAnswers(
  req: Pick<StartRequest, 'port' | 'addresses' | 'probeTimeoutMs'>
): Promise<string | null> {
  const results = await Promise.all(req.addresses.map(a => probePort(a, req.port, req.probeTimeoutMs)))
  return results.find(r => r.state === 'open')?.address ?? null
}
