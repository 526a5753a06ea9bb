import { constants } from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { FileCreateError, FileCreatorPool } from '../../src/archive/file-creator-pool.js'
import { scratchFolder } from '../support/scratch.js'

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

describe('FileCreatorPool', () => {
  let dir: string
  scratchFolder('xlr-creator-', made => (dir = made), { each: true })

  test('creates every file with its content, mode and time, also past the in-flight limit and with big files', async () => {
    const pool = new FileCreatorPool(2, FLAGS)
    const scratch = Buffer.alloc(3 * 1024 * 1024)
    const expected = new Map<string, Buffer>()
    for (let i = 0; i < 1500; i++) {
      // Every few hundred files one bigger than a batch; the caller's buffer is reused at once, as extract does.
      const length = i % 400 === 7 ? 2 * 1024 * 1024 + i : (i * 37) % 5000
      const content = scratch.subarray(0, length).fill(i % 251)
      const target = path.join(dir, `f${i}`)
      expected.set(target, Buffer.from(content))
      await pool.add({ target, content, mode: i % 2 ? 0o640 : 0o755, time: 1_700_000_000 + i })
    }
    await pool.finish()
    for (const [i, [target, content]] of [...expected].entries()) {
      expect((await fsp.readFile(target)).equals(content)).toBe(true)
      const st = await fsp.stat(target)
      expect(st.mode & 0o777).toBe(i % 2 ? 0o640 : 0o755)
      expect(Math.round(st.mtimeMs / 1000)).toBe(1_700_000_000 + i)
    }
  })

  test('drain waits for every file given so far and keeps the pool for the next ones; a later failure is reported', async () => {
    const pool = new FileCreatorPool(2, FLAGS)
    try {
      for (const round of [1, 2]) {
        for (let i = 0; i < 300; i++) {
          await pool.add({
            target: path.join(dir, `r${round}-${i}`),
            content: Buffer.from(`${round}/${i}`),
            mode: 0o600,
            time: 1
          })
        }
        await pool.drain()
        for (let i = 0; i < 300; i++)
          expect(await fsp.readFile(path.join(dir, `r${round}-${i}`), 'utf8')).toBe(`${round}/${i}`)
      }
      await pool.add({ target: path.join(dir, 'r1-0'), content: Buffer.from('again'), mode: 0o600, time: 1 })
      await expect(pool.drain()).rejects.toMatchObject({ target: path.join(dir, 'r1-0'), code: 'EEXIST' })
    } finally {
      await pool.close()
    }
  })

  test('a file that already exists fails with its path and EEXIST, and is left as it was', async () => {
    const taken = path.join(dir, 'taken')
    await fsp.writeFile(taken, 'mine')
    const pool = new FileCreatorPool(2, FLAGS)
    await pool.add({ target: path.join(dir, 'a'), content: Buffer.from('a'), mode: 0o644, time: 1 })
    await pool.add({ target: taken, content: Buffer.from('theirs'), mode: 0o644, time: 1 })
    const failure = await pool.finish().then(
      () => null,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(FileCreateError)
    expect(failure).toMatchObject({ target: taken, code: 'EEXIST' })
    expect(await fsp.readFile(taken, 'utf8')).toBe('mine')
  })

  test('a symlink in the way is never followed', async () => {
    const outside = path.join(dir, 'outside')
    await fsp.writeFile(outside, 'keep')
    await fsp.symlink(outside, path.join(dir, 'link'))
    const pool = new FileCreatorPool(1, FLAGS)
    await pool.add({ target: path.join(dir, 'link'), content: Buffer.from('x'), mode: 0o644, time: 1 })
    await expect(pool.finish()).rejects.toMatchObject({ code: 'EEXIST' })
    expect(await fsp.readFile(outside, 'utf8')).toBe('keep')
  })
})
