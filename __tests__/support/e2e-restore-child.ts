/**
 * Runs one job through the real core in its own process (for tests that kill it): inputs as JSON in argv[2].
 * Prints the outputs as JSON on success; exits 1 with the error message on failure.
 */
import { runJob } from '../../src/job.js'
import { parseSettings } from '../../src/settings/parse.js'
import type { Input } from '../../src/settings/inputs.js'
import { MemoryLogger } from '../../src/shared/logger.js'

const inputs = JSON.parse(process.argv[2] ?? '{}') as Partial<Record<Input, string>>
const logger = new MemoryLogger()
runJob(
  parseSettings(name => inputs[name] ?? '', {}),
  logger
).then(
  result => process.stdout.write(`${JSON.stringify(result.outputs)}\n`),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`)
    process.exitCode = 1
  }
)
