import { spawn } from 'node:child_process'
import { getExecOutput } from '@actions/exec'
import * as io from '@actions/io'
import { toolEnv } from '../shared/child-env.js'

/** What a finished tool run left: exit code (null when a signal killed it), its output. */
export interface ToolRun {
  exitCode: number | null
  stdout: string
  stderr: string
}

export interface ToolRunOptions {
  /**
   * The tool's own variables, added to the basics of toolEnv (never the whole parent environment: it holds every
   * input, secrets included). Credentials travel here or in a 0600 file it points to, never in args.
   */
  env?: Record<string, string>
  /** Also pass the Oracle/DB2/Java client configuration variables (custom commands). */
  vendorEnv?: boolean
  /** Fed to stdin (small SQL scripts only; large inputs are streamed by the callers that need it). */
  input?: string
  cwd?: string
}

/**
 * Runs a client tool through @actions/exec, silently, and returns its exit and output instead of throwing, so the
 * caller can turn a failure into a DatabaseError that says which database and what to fix.
 */
export async function runTool(toolPath: string, args: string[], options: ToolRunOptions = {}): Promise<ToolRun> {
  if (options.input !== undefined) return await runWithInput(toolPath, args, options.input, options)
  let exitCode: number | null
  let stdout: string
  let stderr: string
  try {
    const out = await getExecOutput(toolPath, args, {
      silent: true,
      ignoreReturnCode: true,
      env: toolEnv(options.env, { vendor: options.vendorEnv }),
      cwd: options.cwd
    })
    // @actions/exec reports a signal death as exit code null (typed number).
    exitCode = out.exitCode as number | null
    stdout = out.stdout
    stderr = out.stderr
  } catch (e) {
    exitCode = -1
    stdout = ''
    stderr = (e as Error).message
  }
  return { exitCode, stdout, stderr }
}

/**
 * Feeds `input` to the tool's stdin. Not through @actions/exec: it leaves stdin without an error listener, so a tool
 * that exits before reading its input (a refused connection) raises an uncaught EPIPE instead of returning its exit
 * code and message.
 */
function runWithInput(toolPath: string, args: string[], input: string, options: ToolRunOptions): Promise<ToolRun> {
  return new Promise(resolve => {
    const child = spawn(toolPath, args, { env: toolEnv(options.env, { vendor: options.vendorEnv }), cwd: options.cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    // The exit code and stderr tell why the tool stopped reading.
    child.stdin.on('error', () => undefined)
    child.on('error', error => resolve({ exitCode: -1, stdout, stderr: error.message }))
    child.on('close', code => resolve({ exitCode: code, stdout, stderr }))
    child.stdin.end(input)
  })
}

/** The first of `names` found on PATH, as an absolute path, or null. */
export async function findOnPath(names: string[]): Promise<string | null> {
  for (const name of names) {
    const found = await io.which(name, false)
    if (found) return found
  }
  return null
}

/** Replaces every secret in `text` (a tool's stderr may echo a connection string). */
export function scrub(text: string, secrets: (string | null | undefined)[]): string {
  let out = text
  for (const s of secrets) if (s && s.length > 0) out = out.split(s).join('***')
  return out
}

/** The last few meaningful lines of a tool's stderr, scrubbed, for an error message. */
export function stderrTail(stderr: string, secrets: (string | null | undefined)[], maxLines = 6): string {
  const lines = scrub(stderr, secrets)
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(l => l !== '' && !/^Warning: Using a password on the command line/i.test(l))
  const tail = lines.slice(-maxLines).map(l => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
  return tail.join('\n')
}

/** How a run ended, in words: 'exit code 1' or 'killed by a signal'. */
export function exitWords(run: { exitCode: number | null; signal?: string | null }): string {
  if (run.exitCode === null) return `was killed${run.signal ? ` by ${run.signal}` : ' by a signal'}`
  if (run.exitCode === -1) return 'could not be started'
  return `failed with exit code ${run.exitCode}`
}

export type ConnectionProblem = 'auth' | 'refused' | 'unknown-host' | 'timeout' | 'no-database' | 'ssl' | null

/** Recognises the usual connection failures in libpq's and the MySQL client's messages. */
export function connectionProblem(stderr: string): ConnectionProblem {
  const s = stderr.toLowerCase()
  if (/password authentication failed|access denied for user|authentication failed|no password supplied/.test(s))
    return 'auth'
  if (/connection refused|can't connect to (mysql|mariadb|server)|error 2002|error 2003/.test(s)) return 'refused'
  if (/could not translate host name|unknown (mysql|mariadb)? ?server host|name or service not known/.test(s))
    return 'unknown-host'
  if (/timeout expired|timed out|error 2013/.test(s)) return 'timeout'
  if (/database "[^"]*" does not exist|unknown database/.test(s)) return 'no-database'
  if (/ssl|tls/.test(s) && /(required|error|handshake|certificate)/.test(s)) return 'ssl'
  return null
}
