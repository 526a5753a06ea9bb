import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import { hashFile } from '../../src/shared/hash-file.js'
import { Progress } from '../../src/shared/progress.js'
import { scratchFolder } from '../support/scratch.js'

let dir = ''
scratchFolder('xlr-hash-file-', made => (dir = made))

describe('hashFile', () => {
  test.each([
    ['an empty file', 0],
    ['a file shorter than one read', 1000],
    ['a file of exactly two reads', 2 * 1024 * 1024],
    ['a file ending in a partial read', 2 * 1024 * 1024 + 3]
  ])('%s: the SHA-256 and size of the whole content, every byte counted once', async (_name, bytes) => {
    const content = randomBytes(bytes)
    const file = path.join(dir, `f-${bytes}`)
    await writeFile(file, content)
    const progress = new Progress('hashing', bytes, null)
    const hashed = await hashFile(file, progress)
    expect(hashed).toEqual({ sha256: createHash('sha256').update(content).digest('hex'), size: bytes })
    expect(progress.done.bytes).toBe(bytes)
  })

  test('a missing file is an error naming it', async () => {
    await expect(hashFile(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT.*missing/)
  })
})
