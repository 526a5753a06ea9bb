import { appendFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryLogger } from '../../src/shared/logger.js'
import { watchDownload } from '../../src/storage/download-progress.js'
import { scratchFolder } from '../support/scratch.js'

describe('watchDownload', () => {
  let dir: string
  scratchFolder('xlr-download-', made => (dir = made), { each: true })

  test('logs the bytes that land in the folder, with the percentage of the expected size, and stops when told', async () => {
    const logger = new MemoryLogger()
    const stop = watchDownload(dir, 4096, 'Downloaded b.zip', logger, 20, 10)
    const file = path.join(dir, 'b.zip')
    await appendFile(file, Buffer.alloc(1024))
    await sleep(200)
    await appendFile(file, Buffer.alloc(3072))
    await sleep(200)
    stop()
    const lines = logger.messages('info')
    expect(lines.some(l => /^Downloaded b\.zip: 1\.0 KiB of 4\.0 KiB \(25\.0%\)/.test(l))).toBe(true)
    expect(lines[lines.length - 1]).toMatch(
      /^Downloaded b\.zip: 4\.0 KiB of 4\.0 KiB \(100\.0%\), [\d.]+ [KMG]?i?B\/s, ETA 0\.0s$/
    )
    const count = lines.length
    await appendFile(file, Buffer.alloc(10))
    await sleep(60)
    expect(logger.messages('info')).toHaveLength(count)
  })

  test('a progress line that cannot be written is noted in the debug log, not left as an unhandled rejection', async () => {
    const logger = new MemoryLogger()
    logger.info = () => {
      throw new Error('log sink closed')
    }
    const stop = watchDownload(dir, 10, 'Downloaded b.zip', logger, 0, 10)
    await appendFile(path.join(dir, 'b.zip'), Buffer.alloc(10))
    await sleep(100)
    stop()
    expect(logger.messages('debug')).toContain('Download progress not logged: Error: log sink closed')
  })
})
