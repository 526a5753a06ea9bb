import type { Logger } from './logger.js'

/** The first line comes this soon, so that a job of a few seconds still shows its rate before its last line. */
const FIRST_LINE_MS = 2_000

/**
 * Counts bytes and files of a long job and logs a line at most every `intervalMs` (default 10 s): percent of bytes,
 * files, rate and ETA — readable in the Actions log, never a flood. The first line comes after 2 s (or the interval,
 * if shorter), and `finish()` always logs the last one.
 */
export class Progress {
  private bytes = 0
  private files = 0
  private lastLog: number
  private bytesAtLastLog = 0
  /** Bytes per second since the line before the latest one; null before the first line. */
  private recentRate: number | null = null
  private logged = false
  private readonly started: number

  constructor(
    private readonly label: string,
    private totalBytes: number | null,
    private readonly logger: Logger | null,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now
  ) {
    this.started = this.now()
    this.lastLog = this.started
  }

  /** The total, when it becomes known after the work began (it was counted alongside). */
  setTotal(bytes: number): void {
    this.totalBytes = bytes
  }

  add(bytes: number, files = 0): void {
    this.bytes += bytes
    this.files += files
    const t = this.now()
    const due = this.logged ? this.intervalMs : Math.min(FIRST_LINE_MS, this.intervalMs)
    if (this.logger && t - this.lastLog >= due) {
      this.recentRate = (this.bytes - this.bytesAtLastLog) / ((t - this.lastLog) / 1000)
      this.logger.info(this.line(t))
      this.bytesAtLastLog = this.bytes
      this.lastLog = t
      this.logged = true
    }
  }

  /** Logs the last line: everything done, the average rate and how long it took. */
  finish(): void {
    const t = this.now()
    const seconds = (t - this.started) / 1000
    this.logger?.info(`${this.line(t, true)} in ${formatDuration(seconds)}`)
  }

  get done(): { bytes: number; files: number; seconds: number } {
    return { bytes: this.bytes, files: this.files, seconds: (this.now() - this.started) / 1000 }
  }

  line(t = this.now(), finished = false): string {
    const seconds = Math.max((t - this.started) / 1000, 0.001)
    const rate = this.bytes / seconds
    const parts = [`${this.label}: ${formatBytes(this.bytes)}`]
    if (this.totalBytes && this.totalBytes > 0) {
      const pct = Math.min(100, (100 * this.bytes) / this.totalBytes)
      parts[0] += ` of ${formatBytes(this.totalBytes)} (${pct.toFixed(1)}%)`
      // The slower of the average and the latest rate: the end of a job (text to deflate after jars stored as they
      // are, a slow disk filling up) is often slower than its start, and an ETA that runs out early misleads.
      const pace = this.recentRate === null ? rate : Math.min(rate, this.recentRate)
      const left = Math.max(0, this.totalBytes - this.bytes)
      if (!finished) {
        // Nothing moved since the last line (a stalled download): no rate to promise an end with.
        parts.push(left === 0 || pace > 0 ? `ETA ${formatDuration(left / (pace || 1))}` : 'ETA unknown (stalled)')
      }
    }
    // A download or a decryption is one file: a count would only say '0 files'.
    parts.splice(1, 0, ...(this.files > 0 ? [`${this.files} files`] : []), `${formatBytes(rate)}/s`)
    return parts.join(', ')
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const m = Math.floor(seconds / 60)
  const s = Math.round(seconds % 60)
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}
