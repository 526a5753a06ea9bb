import { XlrBackupError } from '../shared/errors.js'

/**
 * Refuses duplicate entry names with memory that grows with the calls made to the writer, not with the entries
 * written. A tree's own names are unique by construction (one sorted walk of one folder), so what can collide is a
 * tree's prefix with another tree's prefix or with a single entry's name. Without remembering every name a tree wrote,
 * a single name under a tree's prefix, or two nested prefixes, may collide and are refused.
 */
export class EntryNames {
  private readonly prefixes: string[] = []
  private readonly singles = new Set<string>()

  /** Claims every name starting with `prefix` (a tree whose root entry is named `prefix` unless that is empty). */
  claimTree(prefix: string): void {
    for (const held of this.prefixes) {
      if (held === prefix && prefix !== '') throw alreadyHeld(prefix)
      if (prefix.startsWith(held) || held.startsWith(prefix))
        throw new XlrBackupError(
          `The archive already holds entries named ${held}…, which entries named ${prefix}… could duplicate.`
        )
    }
    for (const name of this.singles) {
      if (name === prefix) throw alreadyHeld(name)
      if (name.startsWith(prefix))
        throw new XlrBackupError(
          `The archive already holds an entry named ${name}, which entries named ${prefix}… could duplicate.`
        )
    }
    this.prefixes.push(prefix)
  }

  /** Claims one name (a buffer or a file added on its own). */
  claimName(name: string): void {
    if (this.singles.has(name)) throw alreadyHeld(name)
    for (const held of this.prefixes) {
      if (held === name) throw alreadyHeld(name)
      if (name.startsWith(held))
        throw new XlrBackupError(`The archive already holds entries named ${held}…, which ${name} could duplicate.`)
    }
    this.singles.add(name)
  }
}

function alreadyHeld(name: string): XlrBackupError {
  return new XlrBackupError(`The archive already holds an entry named ${name}.`)
}
