import { rememberSecret } from './child-env.js'

/**
 * The core never imports @actions/core: the action passes a logger backed by it, the CLI one backed by the console.
 * `secret` registers a value that must be masked wherever it would be printed.
 */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warning(message: string): void
  error(message: string): void
  secret(value: string): void
  /** Runs `fn` inside a collapsible group (the Actions log) or under a heading (the console). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}

/** A logger for tests and library callers that want silence; it still records what was said. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'debug' | 'info' | 'warning' | 'error'; message: string }[] = []
  readonly secrets: string[] = []
  debug(message: string): void {
    this.lines.push({ level: 'debug', message })
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message })
  }
  warning(message: string): void {
    this.lines.push({ level: 'warning', message })
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message })
  }
  secret(value: string): void {
    rememberSecret(value)
    if (value) this.secrets.push(value)
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push({ level: 'info', message: `## ${title}` })
    return await fn()
  }
  messages(level?: 'debug' | 'info' | 'warning' | 'error'): string[] {
    return this.lines.filter(l => !level || l.level === level).map(l => l.message)
  }
}
