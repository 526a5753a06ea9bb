// A separate process that takes a home's lock, for the lock's tests (run with `node --import tsx`).
// Usage: home-lock-child.ts <home> <mode> [startAtEpochMs]
//   race     wait until startAt, try the lock, print 'won' or 'refused: <message>', hold a won lock 3 s
//   hold     take the lock, print 'held', wait until killed (SIGKILL leaves a stale lock)
//   unwind   as the CLI does: signals cancel the job; the job waits for the cancel and fails (its finally releases)
//   stuck    as unwind, but the job ignores the cancel: the signal's fallback exits the process
import { setTimeout as sleep } from 'node:timers/promises'
import { cancellation } from '../../src/lifecycle/cancel.js'
import { acquireHomeLock, withHomeLock } from '../../src/lifecycle/home-lock.js'
import { awaitCancellable } from '../../src/lifecycle/signals.js'
import { MemoryLogger } from '../../src/shared/logger.js'

const [home, mode, startAt] = process.argv.slice(2)
const logger = new MemoryLogger()
const options = { purpose: 'backup', createHome: false }

if (mode === 'race') {
  await sleep(Math.max(0, Number(startAt) - Date.now()))
  try {
    const held = await acquireHomeLock(home, options, logger)
    process.stdout.write('won\n')
    await sleep(3000)
    await held.release()
  } catch (error) {
    process.stdout.write(`refused: ${(error as Error).message}\n`)
  }
} else if (mode === 'hold') {
  await acquireHomeLock(home, options, logger)
  process.stdout.write('held\n')
  setInterval(() => undefined, 1000)
} else {
  const keepAlive = setInterval(() => undefined, 1000)
  const job = withHomeLock(home, options, logger, async () => {
    process.stdout.write('held\n')
    const forever = new Promise<never>(() => undefined)
    return mode === 'unwind' ? await cancellation.race(forever) : await forever
  })
  await awaitCancellable(job, {
    logger,
    graceMs: 300,
    exit: message => {
      process.stdout.write(`exit: ${message}\n`)
      process.exit(1)
    }
  }).catch((error: unknown) => {
    process.stdout.write(`failed: ${(error as Error).message}\n`)
    process.exitCode = 1
  })
  clearInterval(keepAlive)
}
