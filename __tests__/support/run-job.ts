// The whole core, exactly as the action and the CLI call it (parseSettings + runJob), for tests that drive it by inputs.
import { runJob } from '../../src/job.js'
import type { JobResult } from '../../src/report/job-result.js'
import { Input } from '../../src/settings/inputs.js'
import { parseSettings } from '../../src/settings/parse.js'
import type { Settings } from '../../src/settings/settings.js'
import { MemoryLogger } from '../../src/shared/logger.js'

/** Inputs by name, as the action would read them; unset ones read as ''. */
export type Inputs = Partial<Record<Input, string>>

/** The settings parseSettings makes of `inputs` (no environment): what a job with these inputs runs with. */
export function settingsOf(inputs: Inputs): Settings {
  return parseSettings(name => inputs[name] ?? '', {})
}

/** The inputs of a job on `home` with its backups in the folder `store`, without databases, and `over` on top. */
export function directoryJob(home: string, store: string, over: Inputs = {}): Inputs {
  return { [Input.Home]: home, [Input.Storage]: 'directory', [Input.Path]: store, [Input.Database]: 'none', ...over }
}

/** parseSettings + runJob with a MemoryLogger: the whole core, exactly as the action and the CLI call it. */
export async function run(inputs: Inputs): Promise<{ result: JobResult; logger: MemoryLogger }> {
  const logger = new MemoryLogger()
  const result = await runJob(settingsOf(inputs), logger)
  return { result, logger }
}

/** Runs a job and returns its result or error together with the log (for failures that must show the log). */
export async function attempt(inputs: Inputs): Promise<{ result?: JobResult; error?: Error; logger: MemoryLogger }> {
  const logger = new MemoryLogger()
  try {
    const result = await runJob(settingsOf(inputs), logger)
    return { result, logger }
  } catch (error) {
    return { error: error as Error, logger }
  }
}

/** Like `run`, but returns the error (and the log) of a run that must fail; fails the test if it succeeds. */
export async function runFailing(inputs: Inputs): Promise<{ error: Error; logger: MemoryLogger }> {
  const { error, logger } = await attempt(inputs)
  if (error) return { error, logger }
  throw new Error(`expected the ${inputs[Input.Mode] ?? 'backup'} run to fail, but it succeeded`)
}
