/**
 * The deepest nesting of `[`/`{` in a JSON text, counted on the bytes before any parsing, stopping as soon as it
 * passes `limit`: JSON.parse builds every level before anything could look at it, so a manifest of a few hundred MB
 * of `[[[[…` costs gigabytes of memory first. Brackets inside strings do not count; escapes are skipped. Returns the
 * depth reached (at most `limit + 1`).
 */
export function jsonDepth(text: Buffer, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: the next byte is escaped
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return deepest
}
