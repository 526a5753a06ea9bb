import { readFileSync } from 'node:fs'

/**
 * Used when the kernel's writeback settings cannot be read (not Linux, /proc not mounted) or periodic writeback is
 * off: the kernel's defaults (30 s + 5 s) with room to spare.
 */
const DEFAULT_WINDOW_SECONDS = 120
/** Added to the kernel's own bound: a flusher that runs late under load, a coarse clock, a 1 s or 2 s timestamp. */
const MARGIN_SECONDS = 10

let override: bigint | null = null

/**
 * How long before its pre-copy stat a file must have been left alone for that stat to prove, during the stop, that
 * the file has not changed since. Two things can change a file without changing its stat:
 *
 * - a write in the same tick of the kernel's coarse clock as an earlier write (the timestamps stay equal), and a
 *   filesystem whose timestamps are whole seconds (or two): git calls this "racy git";
 * - a write through a shared mapping (mmap) to a page that is already dirty: the kernel updates mtime and ctime when
 *   a clean page is first written (the write fault), not on later writes to it, until writeback cleans the page and
 *   protects it again. A page stays dirty for at most dirty_expire_centisecs (its age before the flusher takes it)
 *   plus dirty_writeback_centisecs (how often the flusher wakes). So when a file's last timestamp is older than that
 *   bound, none of its pages can still be dirty from then, and any later write faults and changes the timestamps.
 *
 * A file whose mtime or ctime falls inside the window (or in the future) is therefore copied again during the stop,
 * whatever its stat says.
 */
export function racyWindowNs(): bigint {
  if (override !== null) return override
  const seconds = writebackBoundSeconds()
  return BigInt(Math.ceil((seconds === null ? DEFAULT_WINDOW_SECONDS : seconds + MARGIN_SECONDS) * 1e9))
}

/** Tests replace the window (so that none waits for it to pass); null gives back the kernel's. */
export function setRacyWindowForTests(ns: bigint | null): void {
  override = ns
}

function writebackBoundSeconds(): number | null {
  const expire = centiseconds('/proc/sys/vm/dirty_expire_centisecs')
  const interval = centiseconds('/proc/sys/vm/dirty_writeback_centisecs')
  // An interval of 0 turns periodic writeback off: pages may then stay dirty until memory runs short, with no bound.
  if (expire === null || interval === null || interval === 0) return null
  return (expire + interval) / 100
}

function centiseconds(file: string): number | null {
  try {
    const text = readFileSync(file, 'utf8').trim()
    if (!/^\d{1,9}$/.test(text)) return null
    return Number(text)
  } catch {
    return null
  }
}
