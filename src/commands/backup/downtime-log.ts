import type { Logger } from '../../shared/logger.js'
import { formatDuration } from '../../shared/progress.js'

/** The outage users feel, beside the whole run's time: the figure 'downtime: minimal' exists to shrink. */
export function logDowntime(logger: Logger, downtime: number | null, total: number, mode: 'minimal' | 'full'): void {
  if (downtime === null) {
    logger.info(`Server downtime: none caused (it was not running); total time ${formatDuration(total)}.`)
    return
  }
  const share = total > 0 ? ` (${Math.round((downtime / total) * 100)}% of it)` : ''
  logger.info(
    `Server downtime: ${formatDuration(downtime)} of a total time of ${formatDuration(total)}${share}; downtime: ${mode}.`
  )
}
