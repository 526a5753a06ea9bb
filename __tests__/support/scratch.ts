import { mkdtemp, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'

/**
 * A new folder in the OS temp folder for the tests of the enclosing describe (or file), removed after them, handed
 * to `use` (`scratchFolder('xlr-sink-', made => (tmp = made))`); with `each`, every test gets its own.
 */
export function scratchFolder(prefix: string, use: (dir: string) => void, options: { each?: boolean } = {}): void {
  let dir: string | undefined
  ;(options.each ? beforeEach : beforeAll)(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix))
    use(dir)
  })
  ;(options.each ? afterEach : afterAll)(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })
}
