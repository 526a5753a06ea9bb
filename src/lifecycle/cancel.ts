import { XlrBackupError } from '../shared/errors.js'

/** The job was cancelled by a signal (the runner's cancel or timeout, Ctrl-C, systemd stop). */
export class CancelledError extends XlrBackupError {}

/**
 * A process-wide "stop soon" flag. The signal handler raises it; the work stops at its next safe point (a journal
 * step of a restore, or at once where stopping leaves nothing half done, like writing a backup that is discarded).
 */
export class Cancellation {
  private why: string | null = null
  private readonly waiters = new Set<(reason: string) => void>()

  get reason(): string | null {
    return this.why
  }

  cancel(reason: string): void {
    if (this.why !== null) return
    this.why = reason
    for (const wake of this.waiters) wake(reason)
    this.waiters.clear()
  }

  throwIfCancelled(): void {
    if (this.why !== null) throw this.error()
  }

  /** `work`, or a CancelledError as soon as the job is cancelled (the work itself goes on until the process exits). */
  async race<T>(work: Promise<T>): Promise<T> {
    this.throwIfCancelled()
    let wake: ((reason: string) => void) | undefined
    const cancelled = new Promise<never>((_, reject) => {
      wake = () => reject(this.error())
      this.waiters.add(wake)
    })
    try {
      return await Promise.race([work, cancelled])
    } finally {
      if (wake) this.waiters.delete(wake)
      // The abandoned work may still fail later; that failure is no longer anyone's to report.
      work.catch(() => undefined)
    }
  }

  /** For tests: a fresh, uncancelled state. */
  reset(): void {
    this.why = null
    this.waiters.clear()
  }

  private error(): CancelledError {
    return new CancelledError(`cancelled (${this.why})`)
  }
}

/** The one cancellation of this process: front ends raise it, the work checks it. */
export const cancellation = new Cancellation()
