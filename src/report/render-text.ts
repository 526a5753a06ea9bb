import type { JobSummary } from './job-result.js'

/** The summary as plain text for the CLI: the same facts and tables the job summary shows. */
export function renderSummaryText(summary: JobSummary): string {
  const out: string[] = [summary.title, '='.repeat(summary.title.length)]
  const width = Math.max(0, ...summary.facts.map(([k]) => k.length))
  for (const [k, v] of summary.facts) out.push(`${k.padEnd(width)}  ${v}`)
  if (summary.link) out.push(`${summary.link.text}: ${summary.link.href}`)
  for (const table of summary.tables) {
    out.push('', table.caption)
    const rows = [table.header, ...table.rows]
    const widths = table.header.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
    for (const [n, row] of rows.entries()) {
      out.push(
        row
          .map((c, i) => (c ?? '').padEnd(widths[i]))
          .join('  ')
          .trimEnd()
      )
      if (n === 0) out.push(widths.map(w => '-'.repeat(w)).join('  '))
    }
  }
  for (const snippet of summary.snippets ?? []) out.push('', snippet.caption, snippet.text.trimEnd())
  if (summary.notes.length > 0) out.push('', ...summary.notes.map(n => `note: ${n}`))
  return out.join('\n')
}
