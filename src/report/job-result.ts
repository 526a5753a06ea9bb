import type { Output } from '../settings/inputs.js'
import type { Mode } from '../settings/settings.js'

/** What a finished job hands its front end: outputs to set and a summary to render (job summary or console). */
export interface JobResult {
  mode: Mode
  outputs: Partial<Record<Output, string>>
  summary: JobSummary
  /**
   * The job did its work but must fail (verify's 'max-age': the newest backup is too old): the front end sets the
   * outputs and writes the summary first, then fails with this message.
   */
  failure?: string
}

export interface JobSummary {
  title: string
  /** Label/value pairs shown first (backup name, size, duration, …). */
  facts: [string, string][]
  tables: SummaryTable[]
  /** Warnings and notes worth seeing after the run (also logged as they happen). */
  notes: string[]
  /** Optional link shown under the facts (e.g. the artifact). */
  link?: { text: string; href: string }
  /** Text to copy, shown as code blocks after the tables (e.g. the workflow step that restores this backup). */
  snippets?: SummarySnippet[]
}

export interface SummarySnippet {
  caption: string
  /** The code block's language ('yaml'). */
  language: string
  text: string
}

export interface SummaryTable {
  caption: string
  header: string[]
  rows: string[][]
}
