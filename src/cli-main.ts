/** The CLI's entry point (bundled to dist/cli.js, started by bin/xlr-backup.js). */
import { runCli } from './cli.js'

runCli(process.argv.slice(2)).then(
  ({ exitCode }) => {
    process.exitCode = exitCode
  },
  (error: unknown) => {
    process.stderr.write(`xlr-backup: unexpected error: ${String(error)}\n`)
    process.exitCode = 1
  }
)
