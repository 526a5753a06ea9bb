/** One thing a probe saw: `blocking` findings mean the server (or a process holding the home) is up. */
export interface GuardFinding {
  probe: 'port' | 'process' | 'lock-file'
  blocking: boolean
  /** Human text naming what was seen: the port and address, the PID and command line, the lock file path. */
  detail: string
  pid?: number
  port?: number
  /** The address a port finding is about (127.0.0.1, ::1, the bind address). */
  address?: string
  /** Absolute path of a lock file. */
  path?: string
}

export interface GuardReport {
  running: boolean
  findings: GuardFinding[]
}

export interface ServerControl {
  /** Shell command that stops the server (e.g. `systemctl stop xl-release`). */
  stopCommand?: string
  /** Shell command that starts it again; it must return once the server is launched. */
  startCommand?: string
  /** How long the stop command plus the wait for every probe to clear may take. */
  stopTimeoutSeconds: number
  /** How long the start command plus the wait for the port and then the health URL to answer may take. */
  startTimeoutSeconds: number
  /** The URL that must answer HTTP 200 after the start: '' for the server's own (see health.ts), 'none' for none. */
  healthUrl?: string
}

export interface GuardOptions {
  /** Overrides http.port from the config (the `port` input). */
  port?: number
  /** Where the process list comes from; defaults to the one for this platform (/proc, PowerShell, ps). */
  processLister?: ProcessLister
  /** Connect timeout of one port probe, in milliseconds (default 1500). */
  probeTimeoutMs?: number
  /** Pause between two rounds of probes while waiting for a stop or start, in milliseconds (default 1000). */
  pollIntervalMs?: number
  /** What the guarded work is called in messages ('backup', 'restore'); default 'backup'. */
  purpose?: string
  /**
   * Told when the outage this run causes begins (the server it stopped is proven down) and ends (its start-command
   * is run): the downtime users feel. Not called when the server was not running to begin with.
   */
  outage?: { down(): void; starting(): void }
  /** Told the seconds from the start-command to a healthy server, when this run started it. */
  onHealthy?: (startupSeconds: number) => void
  /**
   * Awaited once the server is found running, before it is stopped: a check still in flight (the restore's digest
   * of a backup read in place) fails the run while the server is still serving, not after an outage for nothing.
   */
  beforeStop?: () => Promise<void>
}

/** One running process as the operating system lists it. */
export interface ProcessInfo {
  pid: number
  /** Parent PID, null when the listing does not tell. */
  ppid: number | null
  /** The arguments as the OS keeps them (Linux /proc cmdline); null where only a joined command line is known. */
  argv: string[] | null
  /** The command line joined with spaces (Linux) or as the OS reports it (Windows, macOS). */
  commandLine: string
  /** Working folder, null when the OS does not tell or we may not read it (another user's process). */
  cwd: string | null
  /**
   * Whether the process sees the same filesystem as we do (Linux mount namespace): false for a process in a
   * container, whose working folder names a path inside the container. Absent or null when unknown.
   */
  sameMountNamespace?: boolean | null
}

/** Lists the processes of this machine; behind an interface so callers and tests can scope or replace it. */
export interface ProcessLister {
  list(): Promise<ProcessInfo[]>
}
