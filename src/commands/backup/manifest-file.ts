import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { createPrivateWriteStream } from '../../shared/private-files.js'
import type { ManifestHead } from './build-manifest.js'

/**
 * Writes the manifest's JSON to `file` (owner-only) with the records spooled in `recordsFile` as its `files` array:
 * the same text JSON.stringify gives for the whole manifest, streamed, so restores and old backups read it alike.
 */
export async function writeManifestFile(file: string, head: ManifestHead, recordsFile: string): Promise<void> {
  const { before, after } = manifestEnvelope(head)
  const out = await createPrivateWriteStream(file)
  await pipeline(async function* () {
    yield before
    yield* createReadStream(recordsFile)
    yield after
  }, out)
}

/**
 * The manifest's JSON text before and after the elements of its `files` array, its keys listed here in the order
 * the format has always had them (JSON.stringify writes keys in insertion order).
 */
export function manifestEnvelope(head: ManifestHead): { before: string; after: string } {
  const { format, formatVersion, tool, createdAt, host, home, components, exclusions, databases, encryption } = head
  const owners = head.owners
  const first = JSON.stringify({ format, formatVersion, tool, createdAt, host, home, components, exclusions })
  const last = JSON.stringify({ databases, ...(owners ? { owners } : {}), ...(encryption ? { encryption } : {}) })
  return { before: `${first.slice(0, -1)},"files":[`, after: `],${last.slice(1)}` }
}
