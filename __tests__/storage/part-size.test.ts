import { DEFAULT_PART_BYTES, PART_LIMITS, partSizeFor } from '../../src/storage/part-size.js'

const GIB = 1024 ** 3
const MIB = 1024 ** 2

describe('partSizeFor', () => {
  it.each([
    ['s3', 1, DEFAULT_PART_BYTES],
    ['s3', 2 * GIB, DEFAULT_PART_BYTES],
    ['s3', 49 * GIB, DEFAULT_PART_BYTES],
    ['s3', 200 * GIB, 21 * MIB],
    ['azure', 1000 * GIB, 21 * MIB]
  ] as const)('%s, %d bytes: parts of %d', (kind, size, part) => {
    expect(partSizeFor(size, PART_LIMITS[kind])).toBe(part)
  })

  it('never needs more parts than the service allows, whatever the size', () => {
    for (const kind of ['s3', 'azure'] as const) {
      for (const size of [5 * GIB, 49 * GIB + 1, 78 * GIB, 1024 * GIB, 4 * 1024 * GIB]) {
        const part = partSizeFor(size, PART_LIMITS[kind])
        expect(Math.ceil(size / part)).toBeLessThanOrEqual(PART_LIMITS[kind].maxParts)
      }
    }
  })

  it('takes a smaller floor for tests but never below the S3 minimum part', () => {
    expect(partSizeFor(11 * MIB, PART_LIMITS.s3, MIB)).toBe(5 * MIB)
    expect(partSizeFor(11 * MIB, PART_LIMITS.azure, MIB)).toBe(MIB)
  })

  it('refuses a file too large for the largest part', () => {
    expect(() => partSizeFor(60 * 1024 * GIB, PART_LIMITS.s3)).toThrow(RangeError)
  })
})
