import { mkdir, writeFile, symlink } from 'node:fs/promises'
import * as path from 'node:path'
import { assertServerStopped, checkServer } from '../../src/guard/index.js'
import { ProcFsProcessLister } from '../../src/guard/process-list.js'
import { probeProcesses, selfAndAncestors } from '../../src/guard/process-probe.js'
import type { ProcessInfo } from '../../src/guard/types.js'
import { ServerRunningError, XlrBackupError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { BOOTSTRAPPER, freePort, homeInfo, sandboxPerTest } from '../support/guard-fixtures.js'

const { cleanup, sandbox } = sandboxPerTest()

/** The findings of the real, whole-machine process probe for one PID. */
async function findingsFor(pid: number, home = sandbox.home): Promise<string[]> {
  const findings = await probeProcesses(home, new ProcFsProcessLister(), new MemoryLogger())
  return findings.filter(f => f.pid === pid).map(f => f.detail)
}

describe('process probe on real processes', () => {
  test('a process running the bootstrapper class is refused with its PID and command line', async () => {
    const child = await cleanup.spawnBootstrapper(sandbox.home)
    const home = homeInfo(sandbox.home, await freePort())
    const error = await assertServerStopped(home, {}, new MemoryLogger()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerRunningError)
    const message = (error as Error).message
    expect(message).toContain(`process ${child.pid} runs ${BOOTSTRAPPER}`)
    expect(message).toContain('setInterval')
    expect(message).toContain('stop-command')
    expect(message).toContain('systemctl stop xl-release')

    const report = await checkServer(home, {}, new MemoryLogger())
    expect(report.running).toBe(true)
    expect(report.findings).toContainEqual(
      expect.objectContaining({ probe: 'process', blocking: true, pid: child.pid })
    )
  })

  test('a Java process working in the home, or in a folder inside it, is refused', async () => {
    const inHome = await cleanup.spawnJava(sandbox.java, sandbox.home)
    const inWork = await cleanup.spawnJava(sandbox.java, path.join(sandbox.home, 'work'))
    expect(await findingsFor(inHome.pid!)).toEqual([
      expect.stringContaining(`is a Java process working in ${sandbox.home}`)
    ])
    expect(await findingsFor(inWork.pid!)).toEqual([
      expect.stringContaining(`working in ${path.join(sandbox.home, 'work')}`)
    ])
    await expect(assertServerStopped(homeInfo(sandbox.home, await freePort()), {}, new MemoryLogger())).rejects.toThrow(
      `process ${inHome.pid} is a Java process working in`
    )
  })

  test('a Java process elsewhere whose command line names the home is refused', async () => {
    const child = await cleanup.spawnJava(sandbox.java, sandbox.root, [`-Dxlr.home=${sandbox.home}`])
    expect(await findingsFor(child.pid!)).toEqual([expect.stringContaining('command line names the home')])
  })

  test('a Java process naming a neighbour folder, and a non-Java process in the home, are not the server', async () => {
    const neighbour = `${sandbox.home}-old`
    await mkdir(neighbour)
    const java = await cleanup.spawnJava(sandbox.java, neighbour, [`-Dxlr.home=${neighbour}`])
    const shell = await cleanup.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], sandbox.home)
    expect(await findingsFor(java.pid!)).toEqual([])
    expect(await findingsFor(shell.pid!)).toEqual([])
    // Positive control: the probe did see that process, alive and working in the home.
    const listed = (await new ProcFsProcessLister().list()).find(p => p.pid === shell.pid)
    expect(listed?.cwd).toBe(sandbox.home)
    // Positive control: the same Java process is seen when the home is the neighbour.
    expect(await findingsFor(java.pid!, neighbour)).toHaveLength(1)
  })

  test('a Java process in a folder reached through a symlink into the home is seen by its real cwd', async () => {
    const link = path.join(sandbox.root, 'current')
    await symlink(sandbox.home, link)
    const child = await cleanup.spawnJava(sandbox.java, link)
    expect(await findingsFor(child.pid!)).toEqual([expect.stringContaining(`working in ${sandbox.home}`)])
  })

  test('passwords on the command line never reach the message, and long command lines are cut', async () => {
    const child = await cleanup.spawnBootstrapper(sandbox.home, [
      '-Dxl.repository.keystore.password=kS-9f2!secret',
      '--db-password',
      'pw-hunter2',
      `-Dpadding=${'x'.repeat(3000)}`
    ])
    const error = (await assertServerStopped(homeInfo(sandbox.home, await freePort()), {}, new MemoryLogger()).catch(
      (e: unknown) => e
    )) as Error
    expect(error).toBeInstanceOf(ServerRunningError)
    expect(error.message).toContain(`process ${child.pid}`)
    expect(error.message).not.toContain('kS-9f2!secret')
    expect(error.message).not.toContain('pw-hunter2')
    expect(error.message).toContain('-Dxl.repository.keystore.password=***')
    expect(error.message).toMatch(/… \(\d+ more characters\)/)
    expect(error.message).not.toContain('x'.repeat(1000))
  })

  test('a server provably serving another home is reported but does not block this one', async () => {
    const other = path.join(sandbox.root, 'other-xl-release')
    await mkdir(other)
    const child = await cleanup.spawnBootstrapper(other)
    const logger = new MemoryLogger()
    const report = await assertServerStopped(homeInfo(sandbox.home, await freePort()), {}, logger)
    const mine = report.findings.filter(f => f.pid === child.pid)
    expect(mine).toEqual([
      expect.objectContaining({
        probe: 'process',
        blocking: false,
        detail: expect.stringContaining(`in ${other}, another home`)
      })
    ])
    expect(logger.messages('warning').join('\n')).toContain(`process ${child.pid} runs XL Release in ${other}`)
  })

  test('a server whose folder cannot be compared (unreadable, in a container, or naming the home) blocks', async () => {
    const base: ProcessInfo = {
      pid: 424242,
      ppid: 1,
      argv: ['java', BOOTSTRAPPER],
      commandLine: `java ${BOOTSTRAPPER}`,
      cwd: '/elsewhere',
      sameMountNamespace: true
    }
    const cases: ProcessInfo[] = [
      { ...base, cwd: null },
      { ...base, sameMountNamespace: false },
      { ...base, sameMountNamespace: null },
      { ...base, commandLine: `java -Dxlr.home=${sandbox.home} ${BOOTSTRAPPER}` }
    ]
    for (const p of cases) {
      const findings = await probeProcesses(sandbox.home, { list: async () => [p] }, new MemoryLogger())
      expect(findings).toEqual([expect.objectContaining({ pid: 424242, blocking: true })])
    }
    const elsewhere = await probeProcesses(sandbox.home, { list: async () => [base] }, new MemoryLogger())
    expect(elsewhere).toEqual([expect.objectContaining({ pid: 424242, blocking: false })])
  })

  test('our own process and its ancestors never count, even when they look like the server', async () => {
    const self: ProcessInfo = {
      pid: process.pid,
      ppid: process.ppid,
      argv: ['java', BOOTSTRAPPER],
      commandLine: `java ${BOOTSTRAPPER}`,
      cwd: sandbox.home
    }
    const parent: ProcessInfo = { ...self, pid: process.ppid, ppid: 1 }
    const other: ProcessInfo = { ...self, pid: 999999, ppid: 1 }
    const lister = { list: async () => [self, parent, other] }
    const findings = await probeProcesses(sandbox.home, lister, new MemoryLogger())
    expect(findings.map(f => f.pid)).toEqual([999999])
  })

  test('selfAndAncestors follows the parent chain and stops on loops', () => {
    const p = (pid: number, ppid: number | null): ProcessInfo => ({
      pid,
      ppid,
      argv: null,
      commandLine: 'x',
      cwd: null
    })
    expect([...selfAndAncestors([p(10, 5), p(5, 2), p(2, 1), p(1, 0), p(7, 5)], 10, 5)].sort((a, b) => a - b)).toEqual([
      1, 2, 5, 10
    ])
    expect([...selfAndAncestors([p(10, 11), p(11, 10)], 10, 11)].sort()).toEqual([10, 11])
  })
})

describe('ProcFsProcessLister', () => {
  test('unreadable or vanished entries of a /proc tree are skipped, not fatal', async () => {
    const proc = path.join(sandbox.root, 'proc')
    const good = path.join(proc, '4242')
    await mkdir(good, { recursive: true })
    await writeFile(path.join(good, 'cmdline'), `java\0-cp\0lib/*\0${BOOTSTRAPPER}\0`)
    await writeFile(path.join(good, 'stat'), '4242 (java (main)) S 17 4242 4242 0 -1')
    await symlink(sandbox.home, path.join(good, 'cwd'))
    // A process whose cmdline cannot be read (here: a folder in its place), one whose cwd cannot be read (a file in
    // place of the link: EINVAL, as EACCES for another user's process), and a bootstrapper that ended between the
    // reads of its cmdline and its cwd (the link is gone: ENOENT).
    await mkdir(path.join(proc, '5000', 'cmdline'), { recursive: true })
    await mkdir(path.join(proc, '5001'))
    await writeFile(path.join(proc, '5001', 'cmdline'), ['sleep', '1000', ''].join('\0'))
    await writeFile(path.join(proc, '5001', 'cwd'), '')
    await mkdir(path.join(proc, '5002'))
    await writeFile(path.join(proc, '5002', 'cmdline'), `java\0${BOOTSTRAPPER}\0`)
    // A kernel thread: empty cmdline.
    await mkdir(path.join(proc, '2'))
    await writeFile(path.join(proc, '2', 'cmdline'), '')
    await writeFile(path.join(proc, 'uptime'), '1 1')

    const lister = new ProcFsProcessLister(proc)
    const list = (await lister.list()).sort((a, b) => a.pid - b.pid)
    const real = (await new ProcFsProcessLister().list()).find(p => p.pid === process.pid)
    expect(real?.sameMountNamespace).toBe(true)
    expect(list).toEqual([
      {
        pid: 4242,
        ppid: 17,
        argv: ['java', '-cp', 'lib/*', BOOTSTRAPPER],
        commandLine: `java -cp lib/* ${BOOTSTRAPPER}`,
        cwd: sandbox.home,
        // This fake /proc has no ns/mnt links: whether it shares our filesystem is unknown.
        sameMountNamespace: null
      },
      { pid: 5001, ppid: null, argv: ['sleep', '1000'], commandLine: 'sleep 1000', cwd: null, sameMountNamespace: null }
    ])
    expect(lister.unreadable).toBe(2)
  })

  test('a missing /proc is an error that says what the guard needs', async () => {
    const lister = new ProcFsProcessLister(path.join(sandbox.root, 'no-proc'))
    await expect(lister.list()).rejects.toThrow(XlrBackupError)
    await expect(lister.list()).rejects.toThrow(/Cannot list processes: reading .*no-proc failed/)
  })
})
