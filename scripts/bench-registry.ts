/**
 * What `npm run bench` times, as a list others extend: a module registers its commands (rows of the table) and the
 * ratios between them, and scripts/bench.ts imports that module with one line. Every round runs each command once,
 * in registration order, so commands registered together are interleaved (A B C, A B C, …) and share each round's
 * load; a command may use what an earlier one of the same round wrote (restore reads that round's backup).
 */

/** Where one scale's run happens; every path is inside `dir`, which is removed once the scale is done. */
export interface BenchScale {
  scale: number
  /** A folder for this scale's files. */
  dir: string
  /** The generated home (see make-home.ts); commands must not change it. */
  home: string
  /** `storage: directory` folder for the action's backups. */
  store: string
  /** Backup name used by the action's rows. */
  name: string
  /** `node bin/xlr-backup.js`: the packaged CLI (`npm run package` first). */
  cli: string
}

export interface BenchCommand {
  /** Row name in the table and key in the JSON results. */
  name: string
  /** A bash command, timed with its peak RSS (GNU time); it runs with `dir` as the working folder. */
  command: (s: BenchScale) => string
  /** Untimed, before each run: remove what the previous round left, build an input. */
  prepare?: (s: BenchScale) => void
  /** A file whose size, after the run, is reported as the row's output size (an archive). */
  output?: (s: BenchScale) => string
}

/** A ratio of two rows, taken within each round; the table shows the median of the rounds and their spread. */
export interface BenchRatio {
  /** Column name. */
  name: string
  of: string
  to: string
  /** What is compared (default seconds). */
  measure?: 'seconds' | 'bytes'
}

export const benchCommands: BenchCommand[] = []
export const benchRatios: BenchRatio[] = []

export function registerBenchCommands(...commands: BenchCommand[]): void {
  for (const c of commands) {
    if (benchCommands.some(b => b.name === c.name)) throw new Error(`bench: the command ${c.name} is registered twice`)
    benchCommands.push(c)
  }
}

export function registerBenchRatios(...ratios: BenchRatio[]): void {
  benchRatios.push(...ratios)
}
