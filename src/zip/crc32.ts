import zlib from 'node:zlib'

/**
 * CRC-32 (ZIP polynomial), continuing from `previous`. Node ≥ 20.15 ships zlib's SIMD implementation; older Node 20
 * releases fall back to a table-driven version so `engines: node >= 20` holds.
 */
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data, previous = 0) => zlib.crc32(data, previous)
    : tableCrc32

let table: Uint32Array | null = null

export function tableCrc32(data: Uint8Array, previous = 0): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let crc = ~previous >>> 0
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8)
  return ~crc >>> 0
}
