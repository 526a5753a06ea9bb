/**
 * The command-line front end: the same job as the action, for cron, a shell or a laptop.
 *   xlr-backup <backup|restore|verify|prune> --home /opt/xl-release --storage directory --path /backups
 * Flags are the action's inputs. Secret inputs are never taken as flags (they would show in the process list):
 * they come from the environment (XLR_DATABASE_PASSWORD, …) or from a file (--database-password-file).
 */
import { readFileSync } from 'node:fs'
import { INPUTS, Input } from './settings/inputs.js'
import { parseSettings } from './settings/parse.js'
import { runJob } from './job.js'
import { consoleLogger } from './report/loggers.js'
import { renderSummaryText } from './report/render-text.js'
import { InputError, XlrBackupError } from './shared/errors.js'
import { awaitCancellable } from './lifecycle/signals.js'

export interface CliRun {
  exitCode: number
}

/** Exit codes: 0 done, 1 the job failed, 2 the command line is wrong. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  const verbose = argv.includes('--verbose')
  const logger = consoleLogger({ verbose })
  let values: Map<string, string>
  try {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(usage())
      return { exitCode: argv.length === 0 ? 2 : 0 }
    }
    values = parseArgs(
      argv.filter(a => a !== '--verbose'),
      env
    )
  } catch (error) {
    process.stderr.write(`xlr-backup: ${(error as Error).message}\nRun 'xlr-backup --help' for the options.\n`)
    return { exitCode: 2 }
  }
  for (const spec of INPUTS.filter(i => i.secret)) {
    for (const line of (values.get(spec.name) ?? '').split(/\r?\n/)) logger.secret(line.trim())
  }
  try {
    const settings = parseSettings(name => values.get(name) ?? '')
    // The CLI has no post step: a SIGKILL after the stop-command leaves the server down (see docs/server-guard.md).
    const result = await awaitCancellable(runJob(settings, logger), {
      logger,
      exit: message => {
        process.stderr.write(`xlr-backup: ${logger.mask(message)}\n`)
        process.exit(1)
      }
    })
    for (const [name, value] of Object.entries(result.outputs)) {
      if (value !== undefined) process.stdout.write(`${name}=${logger.mask(value)}\n`)
    }
    process.stderr.write(`\n${logger.mask(renderSummaryText(result.summary))}\n`)
    if (result.failure) {
      process.stderr.write(`xlr-backup: ${logger.mask(result.failure)}\n`)
      return { exitCode: 1 }
    }
    return { exitCode: 0 }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const prefix = error instanceof XlrBackupError ? '' : 'unexpected error: '
    process.stderr.write(`xlr-backup: ${prefix}${logger.mask(message)}\n`)
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${logger.mask(error.stack)}\n`)
    return { exitCode: 1 }
  }
}

/** A command line that names no input: an unknown flag or a stray word. */
class UsageError extends XlrBackupError {}

/** Flags and environment into raw input values (the same strings the action would get). */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Map<string, string> {
  const [mode, ...rest] = argv
  if (!['backup', 'restore', 'verify', 'prune'].includes(mode)) {
    throw new InputError(
      Input.Mode,
      `the first word must be 'backup', 'restore', 'verify' or 'prune', got ${JSON.stringify(mode)}`
    )
  }
  const values = new Map<string, string>([[Input.Mode, mode]])
  for (const spec of INPUTS) {
    const fromEnv = env[envName(spec.name)]
    if (fromEnv !== undefined && spec.name !== Input.Mode) values.set(spec.name, fromEnv)
  }
  const known = new Map(INPUTS.map(i => [i.name as string, i]))
  const seen = new Set<string>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`)
    const eq = arg.indexOf('=')
    let flag = eq > 0 ? arg.slice(2, eq) : arg.slice(2)
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined
    const fromFile = flag.endsWith('-file') && known.get(flag.slice(0, -5))?.secret
    if (fromFile) flag = flag.slice(0, -5)
    const spec = known.get(flag)
    if (!spec || spec.name === Input.Mode) throw new UsageError(`unknown option --${flag}`)
    if (spec.secret && !fromFile) {
      throw new InputError(
        spec.name,
        `--${flag} would put a secret in the process list; set ${envName(spec.name)} in the environment or use --${flag}-file <path>`
      )
    }
    if (value === undefined) {
      const next = rest[i + 1]
      // A bare boolean flag (--dry-run) means true.
      if (next === undefined || next.startsWith('--')) {
        if (['true', 'false'].includes(spec.default)) value = 'true'
        else throw new InputError(spec.name, `--${flag} needs a value`)
      } else {
        value = next
        i++
      }
    }
    if (fromFile) value = readFileSync(value, 'utf8').replace(/\r?\n$/, '')
    // Repeating a list flag (--exclude a --exclude b) adds lines.
    values.set(spec.name, seen.has(spec.name) ? `${values.get(spec.name)}\n${value}` : value)
    seen.add(spec.name)
  }
  return values
}

/** XLR_DATABASE_PASSWORD for 'database-password'. */
export function envName(input: string): string {
  return `XLR_${input.toUpperCase().replace(/-/g, '_')}`
}

function usage(): string {
  const lines = [
    'Usage: xlr-backup <backup|restore|verify|prune> [--<option> <value>]...',
    '',
    'Back up, restore or verify an XL Release (Digital.ai Release) server home and its databases.',
    'Every option can also be set in the environment as XLR_<OPTION> (e.g. XLR_HOME).',
    'Secret options are read only from the environment or from --<option>-file <path>.',
    '',
    'Options:'
  ]
  for (const spec of INPUTS.filter(i => i.name !== Input.Mode)) {
    const def = spec.default && !spec.default.startsWith('${{') ? ` (default: ${spec.default})` : ''
    const how = spec.secret ? ` [secret: ${envName(spec.name)} or --${spec.name}-file]` : ''
    lines.push(`  --${spec.name}${def}${how}`, `      ${spec.description}`)
  }
  lines.push(
    '  --verbose',
    '      Print debug lines.',
    '',
    'Exit codes: 0 done, 1 the job failed, 2 wrong command line.',
    ''
  )
  return lines.join('\n')
}
