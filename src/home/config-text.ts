import { readFileSync, statSync } from 'node:fs'
import { ConfigParseError } from '../shared/errors.js'

/** Config files are a few kilobytes; anything this large is not one, and reading it whole would cost memory. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024

/**
 * Reads a config file as text, or returns undefined when it does not exist (optional files have defaults).
 * UTF-8 is tried first; bytes that are not valid UTF-8 are read as ISO-8859-1, which is how Java reads
 * .properties files and what an older hand-edited file is likely to be.
 */
export function readConfigText(file: string): string | undefined {
  let size: number
  try {
    const stats = statSync(file)
    if (!stats.isFile()) throw new ConfigParseError(file, 1, 'is not a regular file; expected a configuration file')
    size = stats.size
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new ConfigParseError(
      file,
      1,
      `is ${size} bytes, too large for a configuration file (limit ${MAX_CONFIG_BYTES}); check that it is the right file`
    )
  }
  return decodeConfigBytes(readFileSync(file))
}

export function decodeConfigBytes(bytes: Uint8Array): string {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    text = new TextDecoder('latin1').decode(bytes)
  }
  return text.startsWith('\uFEFF') ? text.slice(1) : text
}

export function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}
