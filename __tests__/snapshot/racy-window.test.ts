import { readFileSync } from 'node:fs'
import { racyWindowNs, setRacyWindowForTests } from '../../src/snapshot/racy-window.js'

afterEach(() => setRacyWindowForTests(null))

test("the window is the kernel's writeback bound (dirty expiry + flusher interval) plus a margin", () => {
  const read = (name: string): number => Number(readFileSync(`/proc/sys/vm/${name}`, 'utf8').trim())
  const interval = read('dirty_writeback_centisecs')
  const bound = interval === 0 ? 120 : (read('dirty_expire_centisecs') + interval) / 100 + 10
  expect(racyWindowNs()).toBe(BigInt(Math.ceil(bound * 1e9)))
})

test('a test may set the window, and give the kernel’s back', () => {
  const kernels = racyWindowNs()
  setRacyWindowForTests(0n)
  expect(racyWindowNs()).toBe(0n)
  setRacyWindowForTests(null)
  expect(racyWindowNs()).toBe(kernels)
})
