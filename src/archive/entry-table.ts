import { isSmallEntry, type EntryLocation } from '../zip/entry-content.js'
import type { FileRecord } from '../format/manifest.js'

/**
 * One entry of a backup, checked against the manifest: what it is comes from the manifest, where it is from the zip.
 * It is also the entry's manifest record (`path`, `owner`). Made by EntryTable when asked for: nothing keeps it.
 */
export interface ArchiveEntry extends EntryLocation {
  /** The same string as `name`, under the manifest's field name. */
  path: string
  type: FileRecord['type']
  /** Permission bits as recorded in the manifest. */
  mode: number
  /** ms since the epoch. */
  mtime: number
  /** Link text, for symlinks (read and checked when the archive is opened). */
  target?: string
  /** Index into the manifest's owners table. */
  owner?: number
}

const TYPES: readonly FileRecord['type'][] = ['file', 'directory', 'symlink']
const NUMBERS = 4
const WORDS = 3
const SHA_BYTES = 32
const MODE_BITS = 0o7777
const TYPE_SHIFT = 12
const HAS_SHA = 1 << 14

/**
 * The entries of an opened backup as columns: numbers in typed arrays, hashes as 32 bytes, names in one buffer of
 * UTF-8. An object and two strings per entry (name, hex hash) cost about 400 bytes of heap each and made a restore's
 * memory grow with the file count; a row here is about 80 bytes plus its name, outside the heap. Rows are handed out
 * as ArchiveEntry objects made on demand, which die young; walks that only test names (`rowsUnder`) compare bytes and
 * make no object at all.
 */
export class EntryTable implements Iterable<ArchiveEntry> {
  private rows = 0
  private nameEnd = 0
  /** localHeaderOffset, compressedSize, size, mtime. */
  private readonly numbers: Float64Array
  /** crc32, mode | type | has-hash, owner + 1 (0: none). */
  private readonly words: Uint32Array
  private readonly methods: Uint8Array
  private readonly hashes: Buffer
  private readonly names: Buffer
  /** Where each row's name starts in `names`; the next row's start (or nameEnd) is where it ends. */
  private readonly nameStarts: Uint32Array
  private readonly targets = new Map<number, string>()

  /** Room for `capacity` rows whose names take `nameBytes` bytes of UTF-8 in all. */
  constructor(
    readonly capacity: number,
    nameBytes: number
  ) {
    this.numbers = new Float64Array(capacity * NUMBERS)
    this.words = new Uint32Array(capacity * WORDS)
    this.methods = new Uint8Array(capacity)
    this.hashes = Buffer.alloc(capacity * SHA_BYTES)
    this.names = Buffer.allocUnsafe(nameBytes)
    this.nameStarts = new Uint32Array(capacity + 1)
  }

  /** A table of these entries, in this order (tests use it to forge what the reader would refuse). */
  static of(entries: readonly ArchiveEntry[]): EntryTable {
    const table = new EntryTable(
      entries.length,
      entries.reduce((n, e) => n + Buffer.byteLength(e.name), 0)
    )
    for (const e of entries) table.add(e)
    return table
  }

  get length(): number {
    return this.rows
  }

  /** Appends a row; returns its index. */
  add(entry: Omit<ArchiveEntry, 'path'>): number {
    const i = this.rows
    if (i >= this.capacity) throw new Error(`internal: the entry table is full (${this.capacity} rows)`)
    const written = this.names.write(entry.name, this.nameEnd, 'utf8')
    if (written !== Buffer.byteLength(entry.name)) throw new Error('internal: the entry table has no room for a name')
    this.nameStarts[i] = this.nameEnd
    this.nameEnd += written
    this.nameStarts[i + 1] = this.nameEnd
    const n = i * NUMBERS
    this.numbers[n] = entry.localHeaderOffset
    this.numbers[n + 1] = entry.compressedSize
    this.numbers[n + 2] = entry.size
    this.numbers[n + 3] = entry.mtime
    const w = i * WORDS
    this.words[w] = entry.crc32 >>> 0
    this.words[w + 1] =
      (entry.mode & MODE_BITS) | (TYPES.indexOf(entry.type) << TYPE_SHIFT) | (entry.sha256 === null ? 0 : HAS_SHA)
    this.words[w + 2] = entry.owner === undefined ? 0 : entry.owner + 1
    this.methods[i] = entry.method
    if (entry.sha256 !== null) this.hashes.write(entry.sha256, i * SHA_BYTES, 'hex')
    if (entry.target !== undefined) this.targets.set(i, entry.target)
    this.rows++
    return i
  }

  /** Row `i` as an object of its own (changing it changes nothing here). */
  at(i: number): ArchiveEntry {
    this.check(i)
    const name = this.name(i)
    const n = i * NUMBERS
    const meta = this.words[i * WORDS + 1]
    const owner = this.words[i * WORDS + 2]
    const target = this.targets.get(i)
    return {
      name,
      path: name,
      method: this.methods[i],
      crc32: this.words[i * WORDS],
      compressedSize: this.numbers[n + 1],
      size: this.numbers[n + 2],
      localHeaderOffset: this.numbers[n],
      sha256: meta & HAS_SHA ? this.hashes.toString('hex', i * SHA_BYTES, (i + 1) * SHA_BYTES) : null,
      type: TYPES[(meta >>> TYPE_SHIFT) & 3],
      mode: meta & MODE_BITS,
      mtime: this.numbers[n + 3],
      ...(target !== undefined ? { target } : {}),
      ...(owner !== 0 ? { owner: owner - 1 } : {})
    }
  }

  name(i: number): string {
    this.check(i)
    return this.names.toString('utf8', this.nameStarts[i], this.nameStarts[i + 1])
  }

  type(i: number): FileRecord['type'] {
    this.check(i)
    return TYPES[(this.words[i * WORDS + 1] >>> TYPE_SHIFT) & 3]
  }

  size(i: number): number {
    this.check(i)
    return this.numbers[i * NUMBERS + 2]
  }

  compressedSize(i: number): number {
    this.check(i)
    return this.numbers[i * NUMBERS + 1]
  }

  localHeaderOffset(i: number): number {
    this.check(i)
    return this.numbers[i * NUMBERS]
  }

  target(i: number): string | undefined {
    return this.targets.get(i)
  }

  setTarget(i: number, target: string): void {
    this.check(i)
    this.targets.set(i, target)
  }

  /** Whether row `i`'s name starts with `prefix` (its UTF-8 bytes), compared in place. */
  startsWith(i: number, prefix: Buffer): boolean {
    const start = this.nameStarts[i]
    if (this.nameStarts[i + 1] - start < prefix.length) return false
    for (let k = 0; k < prefix.length; k++) if (this.names[start + k] !== prefix[k]) return false
    return true
  }

  /** Rows whose name starts with `prefix`, in archive order; rows named `prefix` itself too, unless `strictly`. */
  rowsUnder(prefix: string, strictly = false): number[] {
    const bytes = Buffer.from(prefix, 'utf8')
    const shortest = strictly ? bytes.length + 1 : bytes.length
    const rows: number[] = []
    for (let i = 0; i < this.rows; i++) {
      if (this.nameStarts[i + 1] - this.nameStarts[i] >= shortest && this.startsWith(i, bytes)) rows.push(i)
    }
    return rows
  }

  /** Rows whose name starts with any of `prefixes`, each once, in archive order. */
  rowsUnderAny(prefixes: readonly string[]): number[] {
    const wanted = prefixes.map(p => Buffer.from(p, 'utf8'))
    const rows: number[] = []
    for (let i = 0; i < this.rows; i++) if (wanted.some(p => this.startsWith(i, p))) rows.push(i)
    return rows
  }

  /** Whether row `i` is read and inflated in one piece (isSmallEntry), without making its entry. */
  isSmall(i: number): boolean {
    return isSmallEntry({ compressedSize: this.compressedSize(i), size: this.size(i) })
  }

  /** Entries whose name starts with `prefix` (the prefix's own entry too), in archive order. */
  *under(prefix: string): Generator<ArchiveEntry> {
    for (const i of this.rowsUnder(prefix)) yield this.at(i)
  }

  /** The row named exactly `name`, or -1. */
  indexOf(name: string): number {
    const bytes = Buffer.from(name, 'utf8')
    for (let i = 0; i < this.rows; i++) {
      if (this.nameStarts[i + 1] - this.nameStarts[i] === bytes.length && this.startsWith(i, bytes)) return i
    }
    return -1
  }

  find(name: string): ArchiveEntry | undefined {
    const i = this.indexOf(name)
    return i < 0 ? undefined : this.at(i)
  }

  *[Symbol.iterator](): Generator<ArchiveEntry> {
    for (let i = 0; i < this.rows; i++) yield this.at(i)
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.rows)) throw new RangeError(`internal: no row ${i} in the entry table (${this.rows} rows)`)
  }
}
