import {
  defaultProcessLister,
  parseLsofCwd,
  parsePsOutput,
  parseWindowsProcessJson,
  ProcFsProcessLister,
  PsProcessLister,
  WindowsProcessLister
} from '../../src/guard/index.js'
import { isJavaLike, parseProcStatPpid, programName, splitProcCmdline } from '../../src/guard/process-list.js'
import { namesPath, probeProcesses, serverProcessReason } from '../../src/guard/process-probe.js'
import { XlrBackupError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { BOOTSTRAPPER, sandboxPerTest } from '../support/guard-fixtures.js'

// What `Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,CommandLine | ConvertTo-Json -Compress`
// prints on Windows PowerShell 5.1 (BOM included): system processes without a command line, the service wrapper and
// its JVM, and an editor with the home open.
const WINDOWS_OUTPUT =
  '\uFEFF[{"ProcessId":0,"ParentProcessId":0,"CommandLine":null},' +
  '{"ProcessId":4,"ParentProcessId":0,"CommandLine":null},' +
  '{"ProcessId":2140,"ParentProcessId":688,"CommandLine":"\\"C:\\\\Program Files\\\\Java\\\\jdk-17\\\\bin\\\\java.exe\\" -Xrs -jar C:\\\\XebiaLabs\\\\xl-release-24.1.0-server\\\\serviceWrapper\\\\wrapper.jar -s C:\\\\XebiaLabs\\\\xl-release-24.1.0-server\\\\conf\\\\xlr-wrapper-win.conf"},' +
  '{"ProcessId":5120,"ParentProcessId":2140,"CommandLine":"\\"C:\\\\Program Files\\\\Java\\\\jdk-17\\\\bin\\\\java.exe\\" -Xmx4g -Dxl.keystore.password=hunter2 -cp \\"conf;hotfix\\\\lib\\\\*;lib\\\\*\\" com.xebialabs.xlrelease.XLReleaseBootstrapper"},' +
  '{"ProcessId":7004,"ParentProcessId":6000,"CommandLine":"\\"C:\\\\Windows\\\\notepad.exe\\" C:\\\\XebiaLabs\\\\xl-release-24.1.0-server\\\\conf\\\\xl-release-server.conf"},' +
  '{"ProcessId":7100,"ParentProcessId":6000,"CommandLine":"javaw.exe -jar D:\\\\tools\\\\xl-release-24.1.0-server-old\\\\x.jar"},' +
  '{"ProcessId":7200,"ParentProcessId":6000,"CommandLine":""}]\r\n'

// `ps -axww -o pid=,ppid=,command=` on macOS.
const PS_OUTPUT = [
  '    1     0 /sbin/launchd',
  '  412     1 /usr/libexec/logd',
  ' 5120  4876 /Library/Java/JavaVirtualMachines/temurin-17.jdk/Contents/Home/bin/java -Xmx4g -cp conf:hotfix/lib/*:lib/* com.xebialabs.xlrelease.XLReleaseBootstrapper',
  ' 5300     1 /usr/bin/java -jar /Users/ops/xlr/serviceWrapper/wrapper.jar -c /Users/ops/xlr/conf/xlr-wrapper-linux.conf',
  ' 6001  5999 -zsh',
  '',
  'garbage line'
].join('\n')

type ProcessList = ReturnType<typeof parsePsOutput>

/** What the probe finds in a listed `processes` for the home at `home`, as it runs on `platform`. */
async function probeListed(home: string, processes: ProcessList, platform: NodeJS.Platform) {
  return await probeProcesses(home, { list: async () => processes }, new MemoryLogger(), platform)
}

describe('Windows process list parsing', () => {
  test('reads PIDs, parents and command lines; skips processes without a command line', () => {
    const list = parseWindowsProcessJson(WINDOWS_OUTPUT)
    expect(list.map(p => p.pid)).toEqual([2140, 5120, 7004, 7100])
    expect(list[1]).toEqual({
      pid: 5120,
      ppid: 2140,
      argv: null,
      commandLine: `"C:\\Program Files\\Java\\jdk-17\\bin\\java.exe" -Xmx4g -Dxl.keystore.password=hunter2 -cp "conf;hotfix\\lib\\*;lib\\*" ${BOOTSTRAPPER}`,
      cwd: null
    })
  })

  test('a single process comes as one object, no process as nothing', () => {
    expect(parseWindowsProcessJson('{"ProcessId":9,"ParentProcessId":1,"CommandLine":"java.exe -version"}')).toEqual([
      { pid: 9, ppid: 1, argv: null, commandLine: 'java.exe -version', cwd: null }
    ])
    expect(parseWindowsProcessJson('  \r\n')).toEqual([])
  })

  test('output that is not JSON is an error naming the command', () => {
    expect(() => parseWindowsProcessJson('Get-CimInstance : Access denied')).toThrow(XlrBackupError)
    expect(() => parseWindowsProcessJson('Get-CimInstance : Access denied')).toThrow(/Win32_Process/)
  })

  test('the service wrapper and the server JVM are found, case-insensitively; the editor and a neighbour are not', async () => {
    const processes = parseWindowsProcessJson(WINDOWS_OUTPUT)
    const findings = await probeListed('c:/xebialabs/XL-RELEASE-24.1.0-SERVER', processes, 'win32')
    expect(findings.map(f => f.pid)).toEqual([2140, 5120])
    expect(findings[0].detail).toContain('is a Java process whose command line names the home')
    expect(findings[1].detail).toContain(`runs ${BOOTSTRAPPER}`)
    expect(findings[1].detail).toContain('-Dxl.keystore.password=***')
    expect(findings[1].detail).not.toContain('hunter2')
  })

  test('the lister runs PowerShell with a JSON pipeline', () => {
    expect(WindowsProcessLister.SCRIPT).toContain(
      'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,CommandLine | ConvertTo-Json -Compress'
    )
    expect(defaultProcessLister('win32')).toBeInstanceOf(WindowsProcessLister)
    expect(defaultProcessLister('darwin')).toBeInstanceOf(PsProcessLister)
    expect(defaultProcessLister('linux')).toBeInstanceOf(ProcFsProcessLister)
  })
})

describe('ps and lsof output parsing (macOS)', () => {
  test('ps lines become processes; blank and garbage lines are skipped', () => {
    const list = parsePsOutput(PS_OUTPUT)
    expect(list.map(p => [p.pid, p.ppid])).toEqual([
      [1, 0],
      [412, 1],
      [5120, 4876],
      [5300, 1],
      [6001, 5999]
    ])
    expect(list[2].commandLine).toBe(
      `/Library/Java/JavaVirtualMachines/temurin-17.jdk/Contents/Home/bin/java -Xmx4g -cp conf:hotfix/lib/*:lib/* ${BOOTSTRAPPER}`
    )
    expect(list.filter(p => isJavaLike(p)).map(p => p.pid)).toEqual([5120, 5300])
  })

  test('lsof -Fpn gives each PID its cwd; unreadable links are no cwd', () => {
    const out = 'p5120\nfcwd\nn/Users/ops/xlr\np5300\nfcwd\nn/proc/5300/cwd (readlink: Permission denied)\np77\nn/tmp\n'
    expect([...parseLsofCwd(out)]).toEqual([
      [5120, '/Users/ops/xlr'],
      [77, '/tmp']
    ])
  })

  test('matching on ps output: the bootstrapper anywhere, the wrapper by the home in its arguments', async () => {
    const processes = parsePsOutput(PS_OUTPUT)
    const findings = await probeListed('/Users/ops/xlr', processes, 'darwin')
    expect(findings.map(f => f.pid)).toEqual([5120, 5300])
  })
})

describe('the ps lister, live on this machine', () => {
  const { cleanup, sandbox } = sandboxPerTest()

  test('lists a Java process with its command line, and its cwd through lsof', async () => {
    const child = await cleanup.spawnJava(sandbox.java, sandbox.home, ['-Dmarker=ps-lister'])
    const listed = (await new PsProcessLister().list()).find(p => p.pid === child.pid)
    expect(listed).toEqual({
      pid: child.pid,
      ppid: process.pid,
      argv: null,
      commandLine: `${sandbox.java} -e setInterval(() => {}, 1000) -- -Dmarker=ps-lister`,
      cwd: sandbox.home
    })
  })
})

describe('/proc helpers and program names', () => {
  test('cmdline splits on NUL; stat gives the parent even with parentheses in the name', () => {
    expect(splitProcCmdline('java\0-cp\0a b\0')).toEqual(['java', '-cp', 'a b'])
    expect(splitProcCmdline('')).toEqual([])
    expect(parseProcStatPpid('123 (a) b) (c) S 45 123 123')).toBe(45)
    expect(parseProcStatPpid('garbage')).toBeNull()
  })

  test.each([
    [{ argv: ['/usr/lib/jvm/java-17/bin/java', '-cp'], commandLine: '' }, 'java', true],
    [{ argv: null, commandLine: '"C:\\Program Files\\Java\\bin\\javaw.exe" -jar x' }, 'javaw', true],
    [
      { argv: null, commandLine: 'C:\\xlr\\serviceWrapper\\wrapper-windows-x86-64.exe -s conf' },
      'wrapper-windows-x86-64',
      true
    ],
    [{ argv: ['node', 'java'], commandLine: 'node java' }, 'node', false],
    [{ argv: null, commandLine: '/usr/bin/javac Foo.java' }, 'javac', false]
  ])('%j is %s', (p, name, java) => {
    expect(programName(p)).toBe(name)
    expect(isJavaLike(p)).toBe(java)
  })
})

describe('namesPath and serverProcessReason', () => {
  test.each([
    ['-Dxlr.home=/opt/xlr', true],
    ['-cp /opt/xlr/conf:/opt/xlr/lib/*', true],
    ['-jar "/opt/xlr/serviceWrapper/wrapper.jar"', true],
    ['/opt/xlr', true],
    ['-Dxlr.home=/opt/xlr-old', false],
    ['-Dbackup=/backup/opt/xlr', false],
    ['-Dxlr.home=/opt/xlrelease', false]
  ])('%s names /opt/xlr: %s', (args, expected) => {
    expect(namesPath(`java ${args}`, '/opt/xlr', 'linux')).toBe(expected)
  })

  test('Windows paths compare without regard to case or slash direction', () => {
    expect(namesPath('java -cp C:/XL/Lib/*', 'c:\\xl', 'win32')).toBe(true)
    expect(namesPath('java -cp C:/XL/Lib/*', 'c:\\xl', 'linux')).toBe(false)
  })

  test('cwd inside the home counts only for Java; the bootstrapper counts anywhere', () => {
    const base = { pid: 1, ppid: 0, cwd: '/opt/xlr/bin' }
    expect(serverProcessReason({ ...base, argv: ['java'], commandLine: 'java' }, '/opt/xlr', 'linux')).toBe(
      'is a Java process working in /opt/xlr/bin'
    )
    expect(serverProcessReason({ ...base, argv: ['bash'], commandLine: 'bash' }, '/opt/xlr', 'linux')).toBeNull()
    expect(
      serverProcessReason({ ...base, cwd: '/opt/xlr2', argv: ['java'], commandLine: 'java' }, '/opt/xlr', 'linux')
    ).toBeNull()
    expect(
      serverProcessReason(
        { ...base, cwd: null, argv: null, commandLine: `java ${BOOTSTRAPPER}` },
        '/elsewhere',
        'linux'
      )
    ).toBe(`runs ${BOOTSTRAPPER}`)
  })
})
