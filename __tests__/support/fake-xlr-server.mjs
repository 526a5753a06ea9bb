// A stand-in for the XL Release server in the guard's tests: it listens on a port, writes its PID file once it does,
// and on SIGTERM stops listening at once but lingers a moment before exiting, like a JVM shutting down.
// Usage: node fake-xlr-server.mjs <port> <pid-file>
import { createServer } from 'node:net'
import { renameSync, rmSync, writeFileSync } from 'node:fs'

const [portArg, pidFile] = process.argv.slice(2)
const server = createServer(socket => socket.end())
server.listen(Number(portArg), '127.0.0.1', () => {
  writeFileSync(`${pidFile}.tmp`, String(process.pid))
  renameSync(`${pidFile}.tmp`, pidFile)
})
process.on('SIGTERM', () => {
  server.close()
  setTimeout(() => {
    rmSync(pidFile, { force: true })
    process.exit(0)
  }, 400)
})
// Never outlive a crashed test run by long.
setTimeout(() => process.exit(3), 5 * 60 * 1000).unref()
setInterval(() => undefined, 60 * 1000)
