import * as core from '@actions/core'
import type { JobSummary } from './job-result.js'
import { renderSummaryText } from './render-text.js'

/**
 * Writes the job summary with @actions/core's summary builder (GITHUB_STEP_SUMMARY). Where the runtime offers no
 * summary file (GitHub's local-action, older runners) the summary goes to the log instead: a finished backup must
 * not fail for want of a place to describe it.
 */
export async function writeJobSummary(summary: JobSummary, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) {
    core.info(renderSummaryText(summary))
    return
  }
  const s = core.summary.addHeading(summary.title, 2)
  s.addTable([
    [
      { data: 'What', header: true },
      { data: 'Value', header: true }
    ],
    ...summary.facts.map(([k, v]) => [k, v])
  ])
  if (summary.link) s.addLink(summary.link.text, summary.link.href).addBreak()
  for (const table of summary.tables) {
    s.addHeading(table.caption, 3)
    s.addTable([table.header.map(h => ({ data: h, header: true })), ...table.rows])
  }
  for (const snippet of summary.snippets ?? []) {
    s.addHeading(snippet.caption, 3)
    s.addCodeBlock(snippet.text, snippet.language)
  }
  if (summary.notes.length > 0) {
    s.addHeading('Notes', 3)
    s.addList(summary.notes)
  }
  await s.write()
}
