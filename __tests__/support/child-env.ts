/**
 * This process's environment without what would steer a child run of the action or the CLI: the runner's and the
 * action's variables (INPUT_*, GITHUB_*, ACTIONS_*, RUNNER_*, STATE_*), XLR_* secrets, and the test runner's own
 * NODE_OPTIONS and JEST_WORKER_ID. A test adds back exactly what the child is to see.
 */
export function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) =>
        v !== undefined &&
        !/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_|STATE_|XLR_)/.test(k) &&
        k !== 'NODE_OPTIONS' &&
        k !== 'JEST_WORKER_ID'
    ) as [string, string][]
  )
}
