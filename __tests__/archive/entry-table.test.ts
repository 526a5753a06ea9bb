import { EntryTable, type ArchiveEntry } from '../../src/archive/entry-table.js'

const entry = (name: string, over: Partial<ArchiveEntry> = {}): ArchiveEntry => ({
  name,
  path: name,
  method: 8,
  crc32: 0xfedcba98,
  compressedSize: 5_000_000_123,
  size: 2 ** 40 + 7,
  localHeaderOffset: 3_000_000_001,
  sha256: 'ab'.repeat(31) + '0f',
  type: 'file',
  mode: 0o4755,
  mtime: 1714564800123.25,
  ...over
})

const rows: ArchiveEntry[] = [
  entry('home/', { type: 'directory', sha256: null, size: 0, compressedSize: 0, method: 0, mode: 0o755, owner: 0 }),
  entry('home/conf/', { type: 'directory', sha256: null, size: 0, compressedSize: 0, method: 0, owner: 65_535 }),
  entry('home/conf/xl-release.conf', { crc32: 0, mtime: 0 }),
  entry('home/conf/link', { type: 'symlink', method: 0, size: 9, target: '../lib/x' }),
  entry('home/conf/näme ✓ 𝄞.txt', { sha256: '0'.repeat(64), owner: 3 }),
  entry('home/config/other')
]

describe('EntryTable', () => {
  it('gives back every field of every row as it was added, in order', () => {
    const table = EntryTable.of(rows)
    expect(table.length).toBe(rows.length)
    expect([...table]).toEqual(rows)
    rows.forEach((row, i) => {
      expect(table.at(i)).toEqual(row)
      expect(table.name(i)).toBe(row.name)
      expect(table.type(i)).toBe(row.type)
      expect(table.size(i)).toBe(row.size)
      expect(table.compressedSize(i)).toBe(row.compressedSize)
      expect(table.localHeaderOffset(i)).toBe(row.localHeaderOffset)
    })
    // Owner 0 is a row of the owners table, not "none".
    expect(table.at(0).owner).toBe(0)
    expect('owner' in table.at(2)).toBe(false)
    expect('target' in table.at(2)).toBe(false)
  })

  it('hands out objects of their own: changing one changes nothing in the table', () => {
    const table = EntryTable.of(rows)
    const made = table.at(3)
    made.target = '/etc'
    made.name = 'home/elsewhere'
    expect(table.at(3)).toEqual(rows[3])
    table.setTarget(3, '../bin')
    expect(table.target(3)).toBe('../bin')
    expect(table.at(3).target).toBe('../bin')
  })

  it('finds rows by exact name and by prefix, byte for byte (not a longer or shorter name)', () => {
    const table = EntryTable.of(rows)
    expect(table.indexOf('home/conf/')).toBe(1)
    expect(table.indexOf('home/conf')).toBe(-1)
    expect(table.indexOf('home/conf/näme ✓ 𝄞.txt')).toBe(4)
    expect(table.indexOf('home/conf/näme ✓ 𝄞.tx')).toBe(-1)
    expect(table.find('home/conf/link')?.target).toBe('../lib/x')
    expect(table.find('home/nothing')).toBeUndefined()
    expect(table.rowsUnder('home/conf/')).toEqual([1, 2, 3, 4])
    expect(table.rowsUnder('home/conf')).toEqual([1, 2, 3, 4, 5])
    expect(table.rowsUnder('home/conf/n')).toEqual([4])
    expect(table.rowsUnder('home/conf/', true)).toEqual([2, 3, 4])
    expect(table.rowsUnder('home/conf/xl-release.conf', true)).toEqual([])
    expect(table.rowsUnder('')).toEqual([0, 1, 2, 3, 4, 5])
    expect(table.rowsUnder('database/')).toEqual([])
    expect(table.rowsUnderAny(['home/config/', 'home/conf/link', 'home/conf/l'])).toEqual([3, 5])
    expect(table.rowsUnderAny([])).toEqual([])
    expect([...table.under('home/conf/l')]).toEqual([rows[3]])
  })

  it('refuses rows it has no room for and rows it does not hold', () => {
    const table = new EntryTable(1, 5)
    expect(() => table.add(entry('home/toolong'))).toThrow(/no room for a name/)
    table.add(entry('home/'))
    expect(() => table.add(entry('home/'))).toThrow(/full \(1 rows\)/)
    expect(() => table.at(1)).toThrow(RangeError)
    expect(() => table.name(-1)).toThrow(RangeError)
  })
})
