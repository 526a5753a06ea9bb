import { readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { Logger } from '../shared/logger.js'
import { Progress } from '../shared/progress.js'

/** How often the folder is looked at; the log still gets a line only every `intervalMs`. */
const POLL_MS = 1000

/**
 * Logs a download's progress (bytes, percent, rate, ETA) by watching the size of what lands in `dir`: the artifact
 * client reports none while it downloads, and a restore drill of a multi-GB backup would otherwise sit silent.
 * Returns the function that stops watching.
 */
export function watchDownload(
  dir: string,
  totalBytes: number | null,
  label: string,
  logger: Logger,
  intervalMs = 10_000,
  pollMs = POLL_MS
): () => void {
  const progress = new Progress(label, totalBytes, logger, intervalMs)
  let seen = 0
  let busy = false
  let stopped = false
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    sizeOf(dir)
      .then(bytes => {
        // A look still under way when the watch stopped must not log after it.
        if (stopped) return
        // Called on every look, new bytes or not: a stalled download still gets its line at each interval.
        progress.add(Math.max(0, bytes - seen))
        seen = Math.max(seen, bytes)
      })
      // A progress line that cannot be written must not fail the download it only reports on.
      .catch((error: unknown) => logger.debug(`Download progress not logged: ${String(error)}`))
      .finally(() => {
        busy = false
      })
  }, pollMs)
  timer.unref()
  return () => {
    stopped = true
    clearInterval(timer)
  }
}

/** Bytes of the files directly in `dir`; what cannot be read counts as nothing (it may be being renamed). */
async function sizeOf(dir: string): Promise<number> {
  let bytes = 0
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names) bytes += (await stat(path.join(dir, name)).catch(() => null))?.size ?? 0
  return bytes
}
