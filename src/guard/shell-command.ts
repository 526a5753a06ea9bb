import { spawn } from 'node:child_process'
import { commandEnv } from '../shared/child-env.js'
import type { Logger } from '../shared/logger.js'
import { displayCommandLine } from './redact.js'

export interface ShellCommandResult {
  /** Exit code, null when the command was killed by a signal or by our deadline. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The deadline passed and the command (with everything it started in its process group) was killed. */
  timedOut: boolean
}

/** After the shell exits, how long its output may still trickle in before we stop reading. */
const OUTPUT_GRACE_MS = 500
const KILL_GRACE_MS = 2000

/** Commands still running, by label, so a cancel can end a stop-command that would stop the server after a restart. */
const running = new Map<number, string>()

/** Kills every command with this label still running, with all it started. */
export function killRunningCommands(label: string): void {
  for (const [pid, l] of running) if (l === label) killTree(pid, process.platform !== 'win32')
}

/**
 * Runs a user's stop/start command through the system shell (sh -c, cmd.exe on Windows), every output line to the
 * logger. It resolves when the shell exits, not when its output closes: `bin/run.sh &` leaves a server holding our
 * pipe forever. On POSIX the command gets its own process group so a deadline kills all it started.
 */
export function runShellCommand(
  command: string,
  label: string,
  deadlineMs: number,
  logger: Logger
): Promise<ShellCommandResult> {
  return new Promise((resolve, reject) => {
    const posix = process.platform !== 'win32'
    logger.info(`Running the ${label}: ${displayCommandLine(command)}`)
    const child = spawn(command, {
      shell: true,
      // Never the action's inputs, tokens or secrets: a start-command launches the server, which would keep them.
      env: commandEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: posix,
      windowsHide: true
    })
    const forward = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warning'): void => {
      let pending = ''
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => {
        const lines = (pending + chunk).split(/\r?\n/)
        pending = lines.pop() ?? ''
        for (const line of lines) logger[level](`[${label}] ${line}`)
      })
      stream?.on('end', () => {
        if (pending) logger[level](`[${label}] ${pending}`)
        pending = ''
      })
      stream?.on('error', () => undefined)
    }
    if (child.pid !== undefined) running.set(child.pid, label)
    forward(child.stdout, 'info')
    forward(child.stderr, 'info')

    let timedOut = false
    const timer = setTimeout(
      () => {
        timedOut = true
        killTree(child.pid, posix)
      },
      Math.max(0, deadlineMs)
    )

    child.once('error', err => {
      if (child.pid !== undefined) running.delete(child.pid)
      clearTimeout(timer)
      reject(err)
    })
    child.once('exit', (exitCode, signal) => {
      if (child.pid !== undefined) running.delete(child.pid)
      clearTimeout(timer)
      const done = (): void => resolve({ exitCode: timedOut ? null : exitCode, signal, timedOut })
      if (child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false) return done()
      const grace = setTimeout(() => {
        logger.debug(`The ${label} left processes holding its output; no longer reading it.`)
        child.stdout?.destroy()
        child.stderr?.destroy()
        done()
      }, OUTPUT_GRACE_MS)
      child.once('close', () => {
        clearTimeout(grace)
        done()
      })
    })
  })
}

function killTree(pid: number | undefined, posix: boolean): void {
  if (pid === undefined) return
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (posix) process.kill(-pid, signal)
      else spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true })
    } catch {
      // Already gone.
    }
  }
  signalGroup('SIGTERM')
  if (posix) setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref()
}
