/**
 * The home's lock with real processes: several racing for it at the same moment, a holder killed with SIGKILL, and
 * holders ended by SIGTERM (the job unwinding by itself, and the signal's fallback exiting past a stuck job).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { access, mkdtemp, readdir, rm } from 'node:fs/promises'
import { jest } from '@jest/globals'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { HOME_LOCK_NAME } from '../../../src/format/home-lock-name.js'
import { withHomeLock } from '../../../src/lifecycle/home-lock.js'
import { MemoryLogger } from '../../../src/shared/logger.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const CHILD = path.join(root, '__tests__', 'support', 'home-lock-child.ts')
jest.setTimeout(60_000)

let home: string
const children: ChildProcess[] = []

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'xlr-home-lock-'))
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await rm(home, { recursive: true, force: true })
})

interface Child {
  child: ChildProcess
  /** Resolves with the first line the child prints. */
  firstLine: Promise<string>
  done: Promise<{ code: number | null; stdout: string }>
}

function runChild(...args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, home, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  children.push(child)
  let stdout = ''
  let gotLine: (line: string) => void = () => undefined
  const firstLine = new Promise<string>(resolve => (gotLine = resolve))
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString()
    if (stdout.includes('\n')) gotLine(stdout.split('\n')[0])
  })
  const done = new Promise<{ code: number | null; stdout: string }>(resolve =>
    child.on('close', code => resolve({ code, stdout }))
  )
  return { child, firstLine, done }
}

const lockExists = (): Promise<boolean> =>
  access(path.join(home, HOME_LOCK_NAME)).then(
    () => true,
    () => false
  )

test('four processes trying at the same moment: exactly one wins, the others are refused naming it', async () => {
  const startAt = String(Date.now() + 4000)
  const runs = [1, 2, 3, 4].map(() => runChild('race', startAt))
  const results = await Promise.all(runs.map(r => r.done))
  const lines = results.map(r => r.stdout.trim())
  const winners = runs.filter((_, i) => lines[i] === 'won')
  expect(winners).toHaveLength(1)
  const winnerPid = winners[0].child.pid!
  for (const line of lines.filter(l => l !== 'won')) {
    expect(line).toContain(
      `refused: Another run is working on this home: a backup by pid ${winnerPid} on ${os.hostname()}`
    )
  }
  // Released by the winner, and no temporary file of any of them is left.
  expect(await readdir(home)).toEqual([])
})

test('a holder killed with SIGKILL leaves a stale lock; the next run breaks it with a warning', async () => {
  const holder = runChild('hold')
  expect(await holder.firstLine).toBe('held')
  const pid = holder.child.pid!
  holder.child.kill('SIGKILL')
  await holder.done
  expect(await lockExists()).toBe(true)

  const logger = new MemoryLogger()
  const seen = await withHomeLock(home, { purpose: 'restore', createHome: false }, logger, async () => lockExists())
  expect(seen).toBe(true)
  expect(logger.messages('warning').join('\n')).toContain(`was left by a backup by pid ${pid} on ${os.hostname()}`)
  expect(await readdir(home)).toEqual([])
})

test.each([
  ['the job unwinds by itself', 'unwind', 'failed: cancelled (SIGTERM)'],
  ["the job is stuck and the signal's fallback exits", 'stuck', 'exit: cancelled (SIGTERM)']
])('SIGTERM while the lock is held, %s: the lock is released', async (_what, mode, said) => {
  const holder = runChild(mode)
  expect(await holder.firstLine).toBe('held')
  expect(await lockExists()).toBe(true)
  holder.child.kill('SIGTERM')
  const { code, stdout } = await holder.done
  expect(code).toBe(1)
  expect(stdout).toContain(said)
  expect(await readdir(home)).toEqual([])
})
