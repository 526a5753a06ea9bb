import { MemoryLogger } from '../../src/shared/logger.js'
import { Progress } from '../../src/shared/progress.js'

const MiB = 1024 * 1024

function clocked(total: number | null): { progress: Progress; logger: MemoryLogger; at: (ms: number) => void } {
  let now = 0
  const logger = new MemoryLogger()
  const progress = new Progress('Archived', total, logger, 10_000, () => now)
  return { progress, logger, at: ms => (now = ms) }
}

describe('Progress', () => {
  it('gives a job of a few seconds a line with its rate early on, and a last line when it finishes', () => {
    const { progress, logger, at } = clocked(70 * MiB)
    for (let ms = 500; ms <= 7_000; ms += 500) {
      at(ms)
      progress.add(5 * MiB, 10)
    }
    progress.finish()
    expect(logger.messages('info')).toEqual([
      'Archived: 20.0 MiB of 70.0 MiB (28.6%), 40 files, 10.0 MiB/s, ETA 5.0s',
      'Archived: 70.0 MiB of 70.0 MiB (100.0%), 140 files, 10.0 MiB/s in 7.0s'
    ])
  })

  it('logs every interval after the first line', () => {
    const { progress, logger, at } = clocked(null)
    for (let s = 1; s <= 25; s++) {
      at(s * 1000)
      progress.add(MiB)
    }
    expect(logger.messages('info').map(l => l.split(',')[0])).toEqual([
      'Archived: 2.0 MiB',
      'Archived: 12.0 MiB',
      'Archived: 22.0 MiB'
    ])
  })

  it('does not promise an early end when the job slows down: the ETA follows the slower of average and latest rate', () => {
    const { progress, logger, at } = clocked(200 * MiB)
    at(2_000)
    progress.add(100 * MiB) // 50 MiB/s while jars are stored as they are
    at(12_000)
    progress.add(10 * MiB) // 1 MiB/s once text has to be deflated
    const [, second] = logger.messages('info')
    // 90 MiB left: 90 s at the latest rate, where the average (110 MiB in 12 s) would have said 10 s.
    expect(second).toBe('Archived: 110.0 MiB of 200.0 MiB (55.0%), 9.2 MiB/s, ETA 1m30s')
  })

  it('says a stalled job has no end in sight rather than inventing one', () => {
    const { progress, logger, at } = clocked(8 * MiB)
    at(2_000)
    progress.add(4 * MiB)
    at(12_000)
    progress.add(0)
    expect(logger.messages('info')[1]).toBe('Archived: 4.0 MiB of 8.0 MiB (50.0%), 341.3 KiB/s, ETA unknown (stalled)')
  })
})
