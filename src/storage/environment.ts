import * as os from 'node:os'
import { StorageError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'

/**
 * Every environment variable the storage backends read, in one place. The artifact and cache clients read the same
 * variables themselves; reading them here too lets us fail early with a message that names the variable and the fix.
 */
export interface RunEnvironment {
  serverUrl: string
  apiUrl: string
  /** 'owner/name' of the running workflow ('' outside Actions). */
  repository: string
  /** This run's id, or null outside Actions. */
  runId: number | null
  /** The runner's temp folder (RUNNER_TEMP), or the OS temp folder. */
  tempDir: string
  /** GITHUB_WORKSPACE, or the current folder. */
  workspace: string
  eventName: string
}

export function runEnvironment(env: NodeJS.ProcessEnv = process.env): RunEnvironment {
  const runId = Number(env.GITHUB_RUN_ID)
  return {
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    repository: env.GITHUB_REPOSITORY ?? '',
    runId: Number.isSafeInteger(runId) && runId > 0 ? runId : null,
    tempDir: env.RUNNER_TEMP || os.tmpdir(),
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    eventName: env.GITHUB_EVENT_NAME ?? ''
  }
}

/**
 * The same test the artifact toolkit makes: github.com, GHE.com data residency and *.localhost hosts have the
 * artifact service; any other server is GitHub Enterprise Server, where @actions/artifact v2+ does not work.
 */
export function isEnterpriseServer(serverUrl: string): boolean {
  let host: string
  try {
    host = new URL(serverUrl).hostname.trimEnd().toUpperCase()
  } catch {
    return false
  }
  return host !== 'GITHUB.COM' && !host.endsWith('.GHE.COM') && !host.endsWith('.LOCALHOST')
}

/** The artifact and cache services need the runner's token and service URL: without them we are not in a job. */
export function requireActionsRuntime(storage: 'artifact' | 'cache', env: NodeJS.ProcessEnv = process.env): void {
  for (const variable of ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL']) {
    if (!env[variable]) {
      throw new StorageError(
        `'${Input.Storage}: ${storage}' only works inside a GitHub Actions job: ${variable} is not set. ` +
          `Outside Actions (or from a 'run:' step, which does not receive it) use '${Input.Storage}: directory' with a '${Input.Path}'.`
      )
    }
  }
}
