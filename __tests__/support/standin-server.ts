// A stand-in XL Release for the downtime tests: the fake server (a `java` that is node) on the home's port, the
// stop and start commands a backup runs around it, and a hook that runs when the start command does.
import { readFile } from 'node:fs/promises'
import * as path from 'node:path'
import {
  fakeJava,
  fakeServerStartCommand,
  isAlive,
  shellQuote,
  spawnFakeServer,
  waitUntil,
  type Cleanup,
  type FakeServer
} from './guard-fixtures.js'

export interface StandIn {
  server: FakeServer
  /** The stop command: SIGTERM to the PID in the PID file (the fake server then closes its port and exits). */
  stopCommand: string
  /** The start command: `onStart` (a shell line, run to the end first), then the fake server in the background. */
  startCommand(onStart?: string): string
  start(): Promise<void>
  /** Stops it as an administrator would (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>
  running(): Promise<boolean>
}

/** A stand-in server for `home` on `port`, its `java` and PID file in `dir`; `cleanup` kills it. */
export async function standIn(dir: string, home: string, port: number, cleanup: Cleanup): Promise<StandIn> {
  const java = await fakeJava(dir)
  const pidFile = path.join(dir, 'server.pid')
  cleanup.trackPidFile(pidFile)
  const server: FakeServer = { java, cwd: home, port, pidFile }
  const running = async (): Promise<boolean> => {
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
    return pid > 0 && isAlive(pid)
  }
  return {
    server,
    stopCommand: `kill "$(cat ${shellQuote(pidFile)})"`,
    startCommand: onStart => (onStart ? `${onStart} && ` : '') + fakeServerStartCommand(server),
    start: () => spawnFakeServer(server),
    running,
    stop: async () => {
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''))
      if (pid > 0) process.kill(pid, 'SIGTERM')
      await waitUntil('the stand-in server has stopped', async () => !(await running()))
    }
  }
}
