import { randomBytes } from 'node:crypto'
import { open } from 'node:fs/promises'
import * as path from 'node:path'
import { PRIVATE_FILE_MODE } from '../shared/private-files.js'

/**
 * Creates the empty file a backup is written into before it is published: `.<file>.partial-<tag-><random>` in
 * `folder`, created here with 'wx' (never through something planted at that name) and owner-only, so whatever writes
 * it later inherits mode 0600.
 */
export async function createStagingFile(folder: string, fileName: string, tag = ''): Promise<string> {
  const staged = path.join(folder, `.${fileName}.partial-${tag ? `${tag}-` : ''}${randomBytes(6).toString('hex')}`)
  const handle = await open(staged, 'wx', PRIVATE_FILE_MODE)
  await handle.close()
  return staged
}
