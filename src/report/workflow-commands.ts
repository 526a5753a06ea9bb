/**
 * The few runner interfaces the post step needs, written directly: inputs and state from the environment, log lines
 * and annotations as workflow commands on stdout. @actions/core would bring its HTTP client (1 MB) into the post
 * bundle for nothing.
 */
import type { Logger } from '../shared/logger.js'

/** What @actions/core's getInput reads: INPUT_<NAME> with spaces as underscores, trimmed. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
}

/** What the main step saved with core.saveState: the runner hands it to the post step as STATE_<name>. */
export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? ''
}

/** A workflow command's data: '%', CR and LF are escaped as the runner expects. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function write(line: string): void {
  process.stdout.write(`${line}\n`)
}

export const commandLogger: Logger = {
  debug: m => write(`::debug::${escapeData(m)}`),
  info: m => write(m),
  warning: m => write(`::warning::${escapeData(m)}`),
  error: m => write(`::error::${escapeData(m)}`),
  secret: v => {
    if (v) write(`::add-mask::${escapeData(v)}`)
  },
  group: async (title, fn) => {
    write(`::group::${escapeData(title)}`)
    try {
      return await fn()
    } finally {
      write('::endgroup::')
    }
  }
}

/** An error annotation, and the step fails when the process ends. */
export function setFailed(message: string): void {
  commandLogger.error(message)
  process.exitCode = 1
}
