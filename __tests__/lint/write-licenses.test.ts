import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { bundledPackageDirs, writeLicenses } from '../../scripts/write-licenses.js'

async function pkg(root: string, dir: string, json: object, files: Record<string, string> = {}): Promise<void> {
  await mkdir(path.join(root, dir), { recursive: true })
  await writeFile(path.join(root, dir, 'package.json'), JSON.stringify(json))
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, dir, name), text)
}

describe('third-party notices from the bundle', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'licences-'))
    await pkg(
      root,
      'node_modules/esm-lib',
      { name: 'esm-lib', version: '1.0.0', license: 'BSD-3-Clause' },
      { LICENSE: 'BSD text' }
    )
    await pkg(root, 'node_modules/@scope/id-only', { name: '@scope/id-only', version: '2.0.0', license: 'MIT' })
    await pkg(
      root,
      'node_modules/a/node_modules/nested',
      { name: 'nested', version: '0.1.0' },
      { 'LICENSE.md': 'ISC text' }
    )
    await pkg(root, 'node_modules/bare', { name: 'bare', version: '0.0.1' })
  })
  afterEach(async () => rm(root, { recursive: true, force: true }))

  const stats = (names: string[]): object => ({
    // webpack names a concatenated ES module after its root, with the count of what it swallowed.
    modules: [{ name: './src/index.ts + 3 modules', modules: names.map(name => ({ name })) }],
    chunks: [{ modules: [{ name: './node_modules/a/node_modules/nested/index.js' }] }]
  })

  it('finds every package a module comes from, concatenated, scoped and nested ones included', () => {
    expect(
      bundledPackageDirs(
        stats(['./node_modules/esm-lib/dist/x.js + 2 modules', './node_modules/@scope/id-only/i.js'])
      ).sort()
    ).toEqual(['node_modules/@scope/id-only', 'node_modules/a/node_modules/nested', 'node_modules/esm-lib'])
  })

  it('writes a notice for each bundled package, from its licence files or its declared licence', async () => {
    const out = path.join(root, 'licenses.txt')
    writeLicenses(
      stats(['./node_modules/esm-lib/dist/x.js', './node_modules/@scope/id-only/i.js']) as never,
      out,
      root,
      {}
    )
    expect(await readFile(out, 'utf8')).toBe(
      [
        '@scope/id-only 2.0.0\nMIT\n(The package ships no licence text; its package.json declares MIT.)',
        'esm-lib 1.0.0\nBSD-3-Clause\nBSD text',
        'nested 0.1.0\nlicence in the text below\nISC text'
      ].join('\n\n') + '\n'
    )
  })

  it('fails on a bundled package that states no licence, unless an exception gives the reason', async () => {
    const out = path.join(root, 'licenses.txt')
    const withBare = stats(['./node_modules/bare/index.js']) as never
    expect(() => writeLicenses(withBare, out, root, {})).toThrow(
      "bare 0.0.1 (node_modules/bare) is bundled but states no licence (no licence file, no 'license' in its package.json)"
    )
    writeLicenses(withBare, out, root, { bare: 'public domain per its author' })
    expect(await readFile(out, 'utf8')).toContain('bare 0.0.1\nno licence stated\npublic domain per its author')
  })
})
