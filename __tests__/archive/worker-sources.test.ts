import { readFileSync } from 'node:fs'
import { renderWorkerSource, WORKER_BUILDS } from '../../scripts/build-workers.js'

const read = (file: string): string => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

describe('the worker threads run as bundled strings', () => {
  test.each(WORKER_BUILDS.map(w => [w.output, w] as const))(
    '%s is up to date with its worker module (run: npm run build:workers)',
    async (output, worker) => {
      expect(read(output)).toBe(await renderWorkerSource(worker))
    }
  )

  test('each bundle carries the shared code rather than a copy of it', () => {
    const sources = Object.fromEntries(WORKER_BUILDS.map(w => [w.constant, read(w.output)]))
    expect(sources.DEFLATE_WORKER_SOURCE).toContain('// src/zip/crc32.ts')
    expect(sources.COUNT_WORKER_SOURCE).toContain('// src/archive/tree-walker.ts')
    expect(sources.COUNT_WORKER_SOURCE).toContain('// src/archive/exclude.ts')
  })
})
