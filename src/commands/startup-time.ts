import type { JobResult } from '../report/job-result.js'
import { Output } from '../settings/inputs.js'
import { formatDuration } from '../shared/progress.js'

/**
 * Where a backup or restore spends its time, phase by phase, for the summary: a restore's recovery time is what a
 * drill measures (fetch, verify, restore, startup to healthy). Each mark closes the phase running since the last.
 */
export class PhaseClock {
  private readonly began = Date.now()
  private last = this.began
  private readonly phases: [string, number][] = []
  private startupSeconds: number | null = null

  /** Ends the phase `name` now. */
  mark(name: string): void {
    const now = Date.now()
    this.phases.push([name, (now - this.last) / 1000])
    this.last = now
  }

  /** The guard's report of the start it made: seconds from the start-command to healthy. */
  readonly healthy = (seconds: number): void => {
    this.startupSeconds = seconds
  }

  /**
   * Adds 'startup-seconds' and the startup time to a result, and with `label` the phases too. The startup happens
   * inside the last phase marked (the guard starts the server when the work is done): it is taken out of that phase
   * and shown on its own.
   */
  addTo(result: JobResult, label?: string): JobResult {
    const total = (Date.now() - this.began) / 1000
    const phases = this.phases.map(([name, seconds]): [string, number] => [name, seconds])
    if (this.startupSeconds !== null && phases.length > 0) {
      const lastPhase = phases[phases.length - 1]
      lastPhase[1] = Math.max(0, lastPhase[1] - this.startupSeconds)
      phases.push(['startup', this.startupSeconds])
    }
    const parts = phases.map(([name, seconds]) => `${name} ${formatDuration(seconds)}`)
    return {
      ...result,
      outputs: {
        ...result.outputs,
        [Output.StartupSeconds]: this.startupSeconds === null ? '' : this.startupSeconds.toFixed(1)
      },
      summary: {
        ...result.summary,
        facts: [
          ...result.summary.facts,
          ...(label
            ? [[label, `${formatDuration(total)}: ${parts.join(', ')}`] as [string, string]]
            : this.startupSeconds === null
              ? []
              : [['Startup to healthy', formatDuration(this.startupSeconds)] as [string, string]])
        ]
      }
    }
  }
}
