import { DatabaseError } from '../shared/errors.js'
import { DATABASE_INPUTS, describe } from './resolve.js'
import { connectionProblem, exitWords, stderrTail, type ToolRun } from './run-tool.js'
import type { DatabaseTarget } from './types.js'

/** The inputs to point at when a target's connection fails (a shared target is named by its first role). */
export function inputsFor(target: DatabaseTarget): { url: string; username: string; password: string } {
  return DATABASE_INPUTS[target.roles[0] ?? 'repository']
}

/** What to do about a connection failure a tool reported, or '' when the failure is not about connecting. */
export function connectionHint(target: DatabaseTarget, stderr: string): string {
  const names = inputsFor(target)
  const where = `${target.host ?? 'localhost'}${target.port ? `:${target.port}` : ''}`
  switch (connectionProblem(stderr)) {
    case 'auth':
      return (
        `The server refused user '${target.username ?? ''}': check the '${names.password}' input ` +
        `(and '${names.username}'); a {b64} password from the config cannot be used.`
      )
    case 'refused':
      return (
        `Nothing accepts connections at ${where}: check the host and port of '${names.url}' (or the home's config), ` +
        `that the database server runs, and that this runner can reach it.`
      )
    case 'unknown-host':
      return `The host '${target.host ?? ''}' does not resolve from this runner: check '${names.url}'.`
    case 'timeout':
      return `No answer from ${where} in time: a firewall may drop the connection; check '${names.url}' and the network.`
    case 'no-database':
      return `The database '${target.database ?? ''}' does not exist on ${where}: check '${names.url}'.`
    case 'ssl':
      return `The SSL/TLS handshake failed: check the SSL parameters of '${names.url}'.`
    default:
      return ''
  }
}

/** A DatabaseError for a failed tool run: which tool, which database, the fix, and the tool's last words, scrubbed. */
export function toolFailure(target: DatabaseTarget, tool: string, action: string, run: ToolRun): DatabaseError {
  const hint = connectionHint(target, run.stderr)
  const tail = stderrTail(run.stderr, [target.password])
  return new DatabaseError(
    `${tool} ${exitWords(run)} while ${action} the ${describe(target)} database.` +
      (hint ? ` ${hint}` : '') +
      (tail ? `\n${tool} said:\n${tail}` : '')
  )
}
