/** The CLI's entry point (bundled to dist/cli.js, started by bin/xlr-backup.js). */
import { runCli } from './cli.js'
import { cancellation } from './lifecycle/cancel.js'

runCli(process.argv.slice(2)).then(
  ({ exitCode }) => {
    process.exitCode = exitCode
    // After a cancel, abandoned work (a backup being written) must not keep the process alive.
    if (cancellation.reason !== null) process.exit()
  },
  (error: unknown) => {
    process.stderr.write(`xlr-backup: unexpected error: ${String(error)}\n`)
    process.exitCode = 1
  }
)
