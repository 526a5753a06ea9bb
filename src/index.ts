/** The action's entry point: it only runs the front end, so every module stays importable without side effects. */
import { run } from './main.js'
import { cancellation } from './lifecycle/cancel.js'

// After a cancel, abandoned work (a backup being written) must not keep the process alive.
void run().then(() => {
  if (cancellation.reason !== null) process.exit()
})
