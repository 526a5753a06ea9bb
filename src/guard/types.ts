/** One thing a probe saw: `blocking` findings mean the server (or a process holding the home) is up. */
export interface GuardFinding {
  probe: 'port' | 'process' | 'lock-file'
  blocking: boolean
  /** Human text naming what was seen: the port and address, the PID and command line, the lock file path. */
  detail: string
  pid?: number
  port?: number
  path?: string
}

export interface GuardReport {
  running: boolean
  findings: GuardFinding[]
}

export interface ServerControl {
  /** Shell command that stops the server (e.g. `systemctl stop xl-release`). */
  stopCommand?: string
  /** Shell command that starts it again. */
  startCommand?: string
  stopTimeoutSeconds: number
  startTimeoutSeconds: number
}

export interface GuardOptions {
  /** Overrides http.port from the config. */
  port?: number
}
