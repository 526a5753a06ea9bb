import { realpath } from 'node:fs/promises'
import * as path from 'node:path'
import { InputError } from '../../shared/errors.js'
import { Input } from '../../settings/inputs.js'

/**
 * The exclude pattern that keeps the storage folder out of the backup when 'path' lies inside the home: otherwise
 * each backup would carry every earlier one (and the one being written). Null when the folder is outside the home.
 */
export async function storageExclusion(home: string, storagePath: string): Promise<string | null> {
  const [h, s] = await Promise.all([resolved(home), resolved(storagePath)])
  const rel = path.relative(h, s)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null
  if (rel === '') {
    throw new InputError(
      Input.Path,
      `Input 'path' (${storagePath}) is the home itself: backups stored there would end up in the next backup. ` +
        `Point 'path' at a folder outside the home.`
    )
  }
  return `${rel.split(path.sep).map(escapeGlob).join('/')}/`
}

/** The real path where it exists; a folder not created yet is judged by its nearest existing parent. */
async function resolved(p: string): Promise<string> {
  const abs = path.resolve(p)
  const missing: string[] = []
  let at = abs
  for (;;) {
    try {
      return path.join(await realpath(at), ...missing.reverse())
    } catch {
      const parent = path.dirname(at)
      if (parent === at) return abs
      missing.push(path.basename(at))
      at = parent
    }
  }
}

/** A folder name as a literal exclude pattern: '*', '?' and '[' each become a one-character class. */
function escapeGlob(segment: string): string {
  return segment.replace(/[*?[]/g, c => `[${c}]`)
}
