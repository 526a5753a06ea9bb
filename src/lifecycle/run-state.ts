/**
 * What this process has changed outside itself and must undo however it ends: the server it stopped, the home a
 * restore is changing. Process-wide, because a signal handler has no other way to find out; front ends subscribe
 * (the action records it for its post step) and the signal handler reads it.
 */

/** What the post step needs to bring the server back without reading the home again. */
export interface StoppedServer {
  home: string
  port: number
  /** The addresses the port is probed on after the start-command. */
  addresses: string[]
  /** What must answer HTTP 200 after the port (null: the port alone). */
  health: { url: string; verifyTls: boolean } | null
}

export interface RunStateListener {
  serverStopped(server: StoppedServer): void
  serverStarted(): void
}

/** The journal fields that tell whether a restore is changing the home right now. */
interface LiveJournal {
  swapsBegan: boolean
  state: string
}

/** Starts the server the guard stopped: resolves true once it answers, false when that failed (already logged). */
export type Restart = () => Promise<boolean>

class RunState {
  private listener: RunStateListener | null = null
  private restart: Restart | null = null
  private journal: LiveJournal | null = null

  subscribe(listener: RunStateListener | null): void {
    this.listener = listener
  }

  /** The guard is about to run the stop-command: from now on the server must be started however the run ends. */
  serverStopping(server: StoppedServer, restart: Restart): void {
    this.restart = restart
    this.listener?.serverStopped(server)
  }

  /** The server answers again (or was never ours to start): nothing is pending any more. */
  serverStarted(): void {
    this.restart = null
    this.listener?.serverStarted()
  }

  /** The start the guard owes, or null. */
  pendingRestart(): Restart | null {
    return this.restart
  }

  trackRestore(journal: LiveJournal | null): void {
    this.journal = journal
  }

  /**
   * True while a restore has begun swapping the home and has neither finished nor rolled back: starting the server
   * now would start it on half of each, so a cancel waits for the engine's rollback instead.
   */
  homeChanging(): boolean {
    const j = this.journal
    return j !== null && j.swapsBegan && j.state !== 'done' && j.state !== 'rolled-back'
  }

  /** For tests: forget everything. */
  reset(): void {
    this.listener = null
    this.restart = null
    this.journal = null
  }
}

export const runState = new RunState()
