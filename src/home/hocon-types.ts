/** The HOCON reader's public types, apart so its parser, tree and resolver need not import the reader. */

export type HoconValue = string | number | boolean | null | HoconValue[] | HoconObject
export interface HoconObject {
  [key: string]: HoconValue
}

/** Where a key was (last) set: for error messages that point at the line to fix. */
export interface ConfigOrigin {
  file: string
  line: number
}

export interface HoconConfig {
  /** The resolved config; objects have no prototype, so any key name is safe. */
  readonly root: HoconObject
  /** Absolute paths of every file read: the main file first, then includes in the order met. */
  readonly files: string[]
  /** The file and line that set `configPath` (dotted string or key array), if it was set by a file. */
  originOf(configPath: string | readonly string[]): ConfigOrigin | undefined
}

export interface HoconOptions {
  /** Variables `${X}` falls back to when the config does not define X; default process.env. */
  env?: Record<string, string | undefined>
  /** Folders searched by `include classpath("…")` (for the server: conf/, as its classpath starts with conf). */
  classpathDirs?: string[]
  /** Told about includes that were skipped (missing optional files, url includes) and kept substitutions. */
  warn?: (message: string) => void
  /**
   * A required `${X}` found neither in the config nor in `env`: 'error' (default, as HOCON says) or 'keep' it as
   * the text `${X}` with a warning. The server may define X where this tool cannot see it (its service's
   * environment, its built-in reference.conf), so a reader that must not refuse a working home keeps it.
   */
  unresolved?: 'error' | 'keep'
}
