import { HOME_PREFIX, type ComponentSummary, type FileRecord } from '../../format/manifest.js'

/** What the backup reports about the manifest's entries, totalled as they are written instead of from a kept list. */
export class RecordTotals {
  private readonly components = new Map<string, ComponentSummary>()
  /** Entries that are not folders (files and links), in the home and the dumps alike. */
  files = 0

  add(record: FileRecord): void {
    if (record.type !== 'directory') this.files++
    if (!record.path.startsWith(HOME_PREFIX)) return
    const rest = record.path.slice(HOME_PREFIX.length)
    if (rest === '') return
    const slash = rest.indexOf('/')
    const name = slash < 0 ? '.' : rest.slice(0, slash)
    let summary = this.components.get(name)
    if (!summary) {
      summary = { name, files: 0, bytes: 0 }
      this.components.set(name, summary)
    }
    if (record.type !== 'directory') {
      summary.files++
      summary.bytes += record.size
    }
  }

  /** Totals per top-level folder of the home ('.' for files directly in it), sorted by name. */
  componentSummaries(): ComponentSummary[] {
    return [...this.components.values()].sort((a, b) => a.name.localeCompare(b.name))
  }
}
