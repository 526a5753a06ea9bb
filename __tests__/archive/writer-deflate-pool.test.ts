import { createHash, randomBytes } from 'node:crypto'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { DeflatePool } from '../../src/archive/deflate-pool.js'

// The workers deflate through node's internal zlib handle when it passes a probe, else through the public one-shot
// API: both paths must give the same archive content, so each test runs against both.

let tmp: string
const pools: [string, DeflatePool][] = []

const text = (bytes: number): Buffer =>
  Buffer.from(
    Array.from(
      { length: Math.ceil(bytes / 60) },
      (_, i) => `<task id="t${i}" status="COMPLETED">step ${i}</task>\n`
    ).join('')
  ).subarray(0, bytes)

/** Text and random runs, as in an embedded database file. */
const mixed = (runs: number): Buffer =>
  Buffer.concat(Array.from({ length: runs }, (_, i) => (i % 3 === 1 ? randomBytes(150 * 1024) : text(200 * 1024))))

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'archive-writer-pool-'))
  pools.push(['zlib handle', new DeflatePool(2, 6)], ['public zlib API', new DeflatePool(2, 6, true)])
})

afterAll(async () => {
  await Promise.all(pools.map(([, pool]) => pool.close()))
  await fsp.rm(tmp, { recursive: true, force: true })
})

test('the zlib handle passes its probe on this node; the portable pool does not use it', async () => {
  expect(await pools[0][1].usesZlibHandle()).toBe(true)
  expect(await pools[1][1].usesZlibHandle()).toBe(false)
})

test.each([0, 1])('whole files: hash, CRC and content round-trip, text deflated, random stored (pool %i)', async i => {
  const pool = pools[i][1]
  const files: Record<string, Buffer> = {
    'small.xml': text(3000),
    'tiny.txt': Buffer.from('x'),
    'random.bin': randomBytes(200 * 1024),
    'mixed.db': mixed(7),
    'random-small.bin': randomBytes(5000)
  }
  for (const [name, data] of Object.entries(files)) await fsp.writeFile(path.join(tmp, `${i}-${name}`), data)
  // A file that grew after the walk saw it: the worker reads what is there now.
  const grown = text(3 * 1024 * 1024)
  await fsp.writeFile(path.join(tmp, `${i}-grown.log`), grown)
  files['grown.log'] = grown
  const results = await Promise.all(
    Object.entries(files).map(([name, data]) =>
      pool.file({ path: path.join(tmp, `${i}-${name}`), size: name === 'grown.log' ? 10 : data.length, store: false })
    )
  )
  const names = Object.keys(files)
  results.forEach((r, k) => {
    const data = files[names[k]]
    expect({ name: names[k], sha256: r.sha256, crc: r.crc, size: r.size }).toEqual({
      name: names[k],
      sha256: sha(data),
      crc: zlib.crc32(data),
      size: data.length
    })
    const content = r.method === 8 ? zlib.inflateRawSync(r.data) : r.data
    expect(content.equals(data)).toBe(true)
    if (r.method === 8) expect(r.data.length).toBeLessThan(data.length)
  })
  const method = Object.fromEntries(names.map((n, k) => [n, results[k].method]))
  expect(method).toEqual({
    'small.xml': 8,
    'tiny.txt': 0,
    'random.bin': 0,
    'mixed.db': 8,
    'random-small.bin': 0,
    'grown.log': 8
  })
})

test.each([0, 1])('pieces of a large file concatenate into one deflate stream (pool %i)', async i => {
  const pool = pools[i][1]
  const data = mixed(15)
  const piece = 1024 * 1024
  const outputs: Promise<Buffer>[] = []
  for (let p = 0; p < data.length; p += piece) {
    const buf = pool.chunkBuffer(piece)
    const n = data.copy(buf, 0, p, p + piece)
    const dictionary = p > 0 ? Buffer.from(data.subarray(p - 32 * 1024, p)) : null
    outputs.push(pool.chunk(buf.subarray(0, n), dictionary).then(r => r.data))
  }
  const stream = Buffer.concat([...(await Promise.all(outputs)), Buffer.from([0x03, 0x00])])
  expect(zlib.inflateRawSync(stream).equals(data)).toBe(true)
  expect(stream.length).toBeLessThan(data.length * 0.6)
})

test('with a ring, results land in shared memory that is reused once released, and stay correct', async () => {
  const pool = new DeflatePool(2, 1, false, 4 * 1024 * 1024)
  const smallContent = text(5000)
  const smallFile = path.join(tmp, 'ring-small.xml')
  await fsp.writeFile(smallFile, smallContent)
  try {
    const data = mixed(60)
    const piece = 1024 * 1024
    const pieces: Buffer[] = []
    const files: Buffer[] = []
    for (let p = 0; p < data.length; p += piece) {
      const buf = pool.chunkBuffer(piece)
      const n = data.copy(buf, 0, p, p + piece)
      const dictionary = p > 0 ? Buffer.from(data.subarray(p - 32 * 1024, p)) : null
      // Copied out and released at once: the ring (4 MiB for 11 MiB of pieces) wraps around several times.
      const result = await pool.chunk(buf.subarray(0, n), dictionary)
      pieces.push(Buffer.from(result.data))
      result.release()
      const small = await pool.file({ path: smallFile, size: smallContent.length, store: false })
      files.push(Buffer.from(small.data))
      small.release?.()
    }
    expect(pool.ringResults).toBe(pieces.length + files.length)
    expect(zlib.inflateRawSync(Buffer.concat([...pieces, Buffer.from([0x03, 0x00])])).equals(data)).toBe(true)
    for (const f of files) expect(zlib.inflateRawSync(f).equals(smallContent)).toBe(true)
  } finally {
    await pool.close()
  }
})

test('a worker whose ring is full waits until results are released, in whatever order they are', async () => {
  // One worker, a 3 MiB ring: random pieces stay ~1 MiB stored, so the third cannot start until one is released.
  const pool = new DeflatePool(1, 1, false, 3 * 1024 * 1024)
  try {
    const inputs = [0, 1, 2, 3].map(() => randomBytes(1024 * 1024))
    const send = (i: number): ReturnType<DeflatePool['chunk']> => {
      const buf = pool.chunkBuffer(1024 * 1024)
      inputs[i].copy(buf)
      return pool.chunk(buf, null)
    }
    const first = await send(0)
    const second = await send(1)
    let thirdDone = false
    const third = send(2).then(r => {
      thirdDone = true
      return r
    })
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(thirdDone).toBe(false)
    // The second released first: still nothing, the first is older and holds the start of the ring.
    const secondCopy = Buffer.from(second.data)
    second.release()
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(thirdDone).toBe(false)
    const firstCopy = Buffer.from(first.data)
    first.release()
    const result = await third
    const inflate = (b: Buffer): Buffer => zlib.inflateRawSync(Buffer.concat([b, Buffer.from([0x03, 0x00])]))
    expect(inflate(firstCopy).equals(inputs[0])).toBe(true)
    expect(inflate(secondCopy).equals(inputs[1])).toBe(true)
    expect(inflate(result.data).equals(inputs[2])).toBe(true)
    result.release()
    // More than half the ring never waits for it: it gets a buffer of its own.
    const big = randomBytes(2 * 1024 * 1024)
    const bigBuf = pool.chunkBuffer(2 * 1024 * 1024)
    big.copy(bigBuf)
    const bigResult = await pool.chunk(bigBuf, null)
    expect(inflate(bigResult.data).equals(big)).toBe(true)
    expect(pool.ringResults).toBe(3)
  } finally {
    await pool.close()
  }
})
