/**
 * The SSH wire encoding (RFC 4251 §5) that keys and signatures use: big-endian uint32 lengths before byte strings.
 * A reader that runs past its buffer throws, so a truncated or forged blob is an error, never a read of zeros.
 */
export class WireReader {
  private at = 0

  constructor(
    private readonly buf: Buffer,
    private readonly what: string
  ) {}

  uint32(): number {
    if (this.at + 4 > this.buf.length) throw new Error(`${this.what} is truncated`)
    const value = this.buf.readUInt32BE(this.at)
    this.at += 4
    return value
  }

  bytes(length: number): Buffer {
    if (length < 0 || this.at + length > this.buf.length) throw new Error(`${this.what} is truncated`)
    const value = this.buf.subarray(this.at, this.at + length)
    this.at += length
    return value
  }

  string(): Buffer {
    return this.bytes(this.uint32())
  }

  text(): string {
    return this.string().toString('utf8')
  }

  get remaining(): number {
    return this.buf.length - this.at
  }
}

export function wireString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, body])
}

export function wireUint32(value: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(value)
  return out
}
