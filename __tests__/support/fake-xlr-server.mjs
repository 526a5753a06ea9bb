// A stand-in for the XL Release server in the guard's tests: it listens on a port, answers the vendor's health path
// (GET /ha/health: 503 for the first <standby-answers> requests, as a node still starting or on standby, then 200;
// 404 elsewhere), writes its PID file once it listens, and on SIGTERM stops listening at once but lingers a moment
// before exiting, like a JVM shutting down.
// Usage: node fake-xlr-server.mjs <port> <pid-file> [standby-answers]
import { createServer } from 'node:http'
import { renameSync, rmSync, writeFileSync } from 'node:fs'

const [portArg, pidFile, standbyArg] = process.argv.slice(2)
let standby = Number(standbyArg ?? 0)
const server = createServer((request, response) => {
  const healthAsked = request.method === 'GET' && request.url === '/ha/health'
  const status = !healthAsked ? 404 : standby > 0 ? 503 : 200
  if (healthAsked && standby > 0) standby--
  response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
  response.end(status === 200 ? 'OK\n' : `${status}\n`)
})
server.listen(Number(portArg), '127.0.0.1', () => {
  writeFileSync(`${pidFile}.tmp`, String(process.pid))
  renameSync(`${pidFile}.tmp`, pidFile)
})
process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  setTimeout(() => {
    rmSync(pidFile, { force: true })
    process.exit(0)
  }, 400)
})
// Never outlive a crashed test run by long.
setTimeout(() => process.exit(3), 5 * 60 * 1000).unref()
setInterval(() => undefined, 60 * 1000)
