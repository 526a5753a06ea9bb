import type { Logger } from './logger.js'

/**
 * Counts bytes and files of a long job and logs a line at most every `intervalMs` (default 10 s): percent of bytes,
 * files, rate and ETA — readable in the Actions log, never a flood.
 */
export class Progress {
  private bytes = 0
  private files = 0
  private lastLog: number
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
    if (this.logger && t - this.lastLog >= this.intervalMs) {
      this.lastLog = t
      this.logger.info(this.line(t))
    }
  }

  get done(): { bytes: number; files: number; seconds: number } {
    return { bytes: this.bytes, files: this.files, seconds: (this.now() - this.started) / 1000 }
  }

  line(t = this.now()): string {
    const seconds = Math.max((t - this.started) / 1000, 0.001)
    const rate = this.bytes / seconds
    const parts = [`${this.label}: ${formatBytes(this.bytes)}`]
    if (this.totalBytes && this.totalBytes > 0) {
      const pct = Math.min(100, (100 * this.bytes) / this.totalBytes)
      parts[0] += ` of ${formatBytes(this.totalBytes)} (${pct.toFixed(1)}%)`
      const eta = rate > 0 ? Math.max(0, (this.totalBytes - this.bytes) / rate) : null
      if (eta !== null) parts.push(`ETA ${formatDuration(eta)}`)
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
