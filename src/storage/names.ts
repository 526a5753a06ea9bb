import { InputError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'

/** Characters the artifact service refuses in a name (the toolkit's list); refused for every storage. */
const FORBIDDEN: [string, string][] = [
  ['"', 'double quote "'],
  [':', 'colon :'],
  ['<', 'less than <'],
  ['>', 'greater than >'],
  ['|', 'vertical bar |'],
  ['*', 'asterisk *'],
  ['?', 'question mark ?'],
  ['\r', 'carriage return \\r'],
  ['\n', 'line feed \\n'],
  ['\\', 'backslash \\'],
  ['/', 'forward slash /']
]

/** Endings the backup writer gives a file; an exact query may leave them out. */
export const BACKUP_ENDINGS = ['', '.zip', '.zip.age']

/**
 * Checks a backup (file, artifact) name before any work is done. `input` names the action input at fault.
 * Names starting with '.' are refused too: they are how staged, unfinished files are told apart.
 */
export function checkBackupName(name: string, input: Input = Input.Name): void {
  if (name === '') throw new InputError(input, `Input '${input}' is empty: give the backup a name.`)
  for (const [char, label] of FORBIDDEN) {
    if (name.includes(char)) {
      throw new InputError(
        input,
        `Input '${input}' (${JSON.stringify(name)}) contains a ${label}, which artifact names may not contain. ` +
          `Refused characters: " : < > | * ? \\r \\n \\ /. Use letters, digits, '-', '_' and '.'.`
      )
    }
  }
  if (name.startsWith('.')) {
    throw new InputError(input, `Input '${input}' (${JSON.stringify(name)}) may not start with '.'.`)
  }
}

/** True when a stored backup called `stored` is what an exact query for `query` asks for. */
export function isExactMatch(stored: string, query: string): boolean {
  return BACKUP_ENDINGS.some(ending => stored === query + ending)
}

/** A query as a phrase for messages: `name 'x'` or `the newest name starting with 'x-'`. */
export function describeQuery(query: { name: string } | { prefix: string }): string {
  return 'name' in query
    ? `a backup named '${query.name}' (or '${query.name}.zip', '${query.name}.zip.age')`
    : `the newest backup whose name starts with '${query.prefix}'`
}

/** Up to `max` names, quoted, for "did you mean" lines. */
export function listNames(names: string[], max = 5): string {
  const shown = names.slice(0, max).map(n => `'${n}'`)
  if (names.length > max) shown.push(`and ${names.length - max} more`)
  return shown.join(', ')
}
