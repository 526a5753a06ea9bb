import * as core from '@actions/core'
import { rememberSecret } from '../shared/child-env.js'
import type { Logger } from '../shared/logger.js'

/** Logs through the runner: annotations for warnings and errors, collapsible groups, and masking of secrets. */
export function actionsLogger(): Logger {
  return {
    debug: m => core.debug(m),
    info: m => core.info(m),
    warning: m => core.warning(m),
    error: m => core.error(m),
    secret: v => {
      rememberSecret(v)
      if (v) core.setSecret(v)
    },
    group: (title, fn) => core.group(title, fn)
  }
}

/**
 * Logs to stderr for the CLI. No runner masks its output, so it replaces every registered secret itself; it also
 * returns `mask` for the error message the CLI prints last.
 */
export function consoleLogger(options: { verbose: boolean; stream?: NodeJS.WritableStream }): Logger & {
  mask(text: string): string
} {
  const stream = options.stream ?? process.stderr
  const secrets: string[] = []
  const mask = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text)
  const write = (prefix: string, m: string): void => {
    stream.write(`${prefix}${mask(m)}\n`)
  }
  return {
    mask,
    debug: m => {
      if (options.verbose) write('debug: ', m)
    },
    info: m => write('', m),
    warning: m => write('warning: ', m),
    error: m => write('error: ', m),
    secret: v => {
      rememberSecret(v)
      // Longest first, so a secret containing another is masked whole.
      if (v && !secrets.includes(v)) secrets.push(v)
      secrets.sort((a, b) => b.length - a.length)
    },
    group: async (title, fn) => {
      write('', `== ${title}`)
      return await fn()
    }
  }
}
