import { BufferPool } from '../../src/archive/buffer-pool.js'

describe('BufferPool', () => {
  test('gives back the buffers it was given, up to how many it keeps, and only of its size', () => {
    const pool = new BufferPool(1024, 2)
    const a = pool.take()
    const b = pool.take()
    const c = pool.take()
    expect([a.length, b.length, c.length]).toEqual([1024, 1024, 1024])
    expect(new Set([a.buffer, b.buffer, c.buffer]).size).toBe(3)
    pool.give(a)
    pool.give(b)
    pool.give(c) // over what it keeps
    pool.give(Buffer.alloc(512)) // not its size
    const again = [pool.take(), pool.take()]
    expect(again).toContain(a)
    expect(again).toContain(b)
    const fresh = pool.take()
    expect(fresh).not.toBe(c)
    expect(fresh.length).toBe(1024)
  })
})
