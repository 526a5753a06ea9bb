/** The secret scanner must find what it is for, or every "no secret leaked" check built on it proves nothing. */
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import {
  describeFindings,
  sampleCmdlines,
  scanForSecrets,
  secretForms,
  startCmdlineSampler
} from '../support/secret-scan.js'
import { scratchFolder } from '../support/scratch.js'

const SECRET = 'scan-Test-Secret-8d1f0a'
const OTHER = 'AGE-SECRET-KEY-1SCANTESTQQQQQQQQQQQQQQQQQQQQ'

let dir: string
scratchFolder('crypto-scan-', made => (dir = made))

it('finds a secret as is, URL-encoded, hex, and base64 at every alignment inside a larger encoded text', async () => {
  const texts = [
    `password=${SECRET}`,
    encodeURIComponent(`x=${SECRET}&`),
    Buffer.from(SECRET).toString('hex'),
    ...[0, 1, 2].map(pad => `Basic ${Buffer.from(`${'u'.repeat(pad)}:${SECRET}:tail`).toString('base64')}`),
    Buffer.from(`ab${SECRET}`).toString('base64url'),
    'nothing here'
  ]
  const findings = await scanForSecrets([OTHER, SECRET], { texts })
  const hitTexts = new Set(findings.map(f => f.place))
  expect([...hitTexts].sort()).toEqual(
    texts
      .slice(0, -1)
      .map((_, i) => `texts[${i}]`)
      .sort()
  )
  expect(findings.every(f => f.secret === 1)).toBe(true)
  expect(describeFindings(findings)).not.toContain(SECRET)
})

it('finds secrets in files and nested folders, also across the 1 MiB read boundary, and reports clean files clean', async () => {
  const nested = path.join(dir, 'a', 'b')
  await mkdir(nested, { recursive: true })
  const big = Buffer.alloc(3 * 1024 * 1024, 0x2e)
  Buffer.from(SECRET).copy(big, 1024 * 1024 - 5)
  await writeFile(path.join(nested, 'big.log'), big)
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ key: Buffer.from(OTHER).toString('base64') }))
  await writeFile(path.join(dir, 'clean.txt'), 'no secrets\n'.repeat(1000))
  const findings = await scanForSecrets([SECRET, OTHER], { dirs: [dir] })
  expect(findings).toEqual(
    expect.arrayContaining([
      { secret: 0, form: 'plain', place: path.join(nested, 'big.log'), offset: 1024 * 1024 - 5 },
      expect.objectContaining({ secret: 1, form: 'base64@0', place: path.join(dir, 'manifest.json') })
    ])
  )
  expect(findings.filter(f => f.place.endsWith('big.log') && f.form === 'plain')).toHaveLength(1)
  expect(findings.some(f => f.place.endsWith('clean.txt'))).toBe(false)
  expect(await scanForSecrets([SECRET], { files: [path.join(dir, 'clean.txt')] })).toEqual([])
})

it('refuses an empty secret instead of matching everything', async () => {
  await expect(scanForSecrets([''], { texts: ['x'] })).rejects.toThrow(/empty/)
  expect(secretForms('ab').map(f => f.form)).toEqual([])
})

it('sees a secret on the command line of a short-lived child process', async () => {
  const sampler = await startCmdlineSampler()
  // The secret rides on a shell's own argv ($0), as a leaked `--password=…` flag would.
  const shell = spawn('sh', ['-c', 'sleep 0.3', SECRET])
  await new Promise(resolve => shell.once('close', resolve))
  const samples = await sampler.stop()
  const findings = await scanForSecrets([SECRET], { texts: samples.map(s => s.cmdline) })
  expect(findings.length).toBeGreaterThan(0)
})

it('sampleCmdlines polls for the given time and sees this process', async () => {
  const samples = await sampleCmdlines(50)
  expect(samples.some(s => s.pid === process.pid)).toBe(true)
})
