import { execFile } from 'node:child_process'
import { toolEnv } from '../shared/child-env.js'
import { readdir, readFile, readlink } from 'node:fs/promises'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { XlrBackupError } from '../shared/errors.js'
import type { ProcessInfo, ProcessLister } from './types.js'

const execFileAsync = promisify(execFile)
/** Process listings of a busy machine run to megabytes (long Java classpaths). */
const LISTING_MAX_BUFFER = 64 * 1024 * 1024

/** The lister for the platform we run on: /proc on Linux, PowerShell/CIM on Windows, `ps` elsewhere. */
export function defaultProcessLister(platform: NodeJS.Platform = process.platform): ProcessLister {
  if (platform === 'linux') return new ProcFsProcessLister()
  if (platform === 'win32') return new WindowsProcessLister()
  return new PsProcessLister()
}

/**
 * Linux: every numeric folder of /proc. A process can exit between readdir and read, and another user's `cwd` link is
 * unreadable without privileges: such gaps are skipped (the port probe still covers that server), never fatal.
 */
export class ProcFsProcessLister implements ProcessLister {
  /** How many processes the last list() could not read fully (for a debug line). */
  unreadable = 0

  constructor(private readonly procRoot = '/proc') {}

  async list(): Promise<ProcessInfo[]> {
    let entries: string[]
    try {
      entries = await readdir(this.procRoot)
    } catch (err) {
      throw new XlrBackupError(
        `Cannot list processes: reading ${this.procRoot} failed (${(err as Error).message}). ` +
          'The guard needs it to prove XL Release is stopped.',
        { cause: err }
      )
    }
    this.unreadable = 0
    const ownNamespace = await readlink(path.join(this.procRoot, 'self', 'ns', 'mnt')).catch(() => null)
    const pids = entries.filter(e => /^\d+$/.test(e)).map(Number)
    const found = await Promise.all(pids.map(pid => this.read(pid, ownNamespace)))
    return found.filter((p): p is ProcessInfo => p !== null)
  }

  private async read(pid: number, ownNamespace: string | null): Promise<ProcessInfo | null> {
    const dir = path.join(this.procRoot, String(pid))
    let raw: string
    try {
      raw = await readFile(path.join(dir, 'cmdline'), 'utf8')
    } catch {
      this.unreadable++
      return null
    }
    const argv = splitProcCmdline(raw)
    // Kernel threads and zombies have no command line: nothing there can be a server.
    if (argv.length === 0) return null
    let ended = false
    const [cwd, ppid, namespace] = await Promise.all([
      readlink(path.join(dir, 'cwd')).catch((error: NodeJS.ErrnoException) => {
        // Its command line was just read, and a process loses its memory before its working folder as it exits:
        // a cwd that no longer exists means the process ended between the two reads, and an ended process holds
        // no home. Any other failure (another user's process) leaves the folder unknown, which counts as this home.
        if (error.code === 'ENOENT' || error.code === 'ESRCH') ended = true
        else this.unreadable++
        return null
      }),
      readFile(path.join(dir, 'stat'), 'utf8').then(parseProcStatPpid, () => null),
      readlink(path.join(dir, 'ns', 'mnt')).catch(() => null)
    ])
    if (ended) return null
    const sameMountNamespace = ownNamespace === null || namespace === null ? null : namespace === ownNamespace
    return { pid, ppid, argv, commandLine: argv.join(' '), cwd, sameMountNamespace }
  }
}

/** /proc/PID/cmdline: arguments separated (and usually ended) by NUL. */
export function splitProcCmdline(raw: string): string[] {
  const parts = raw.split('\0')
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  return parts
}

/** /proc/PID/stat: `pid (comm) state ppid …`; comm may hold spaces and parentheses, so read after the last `)`. */
export function parseProcStatPpid(stat: string): number | null {
  const rest = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/)
  const ppid = Number(rest[1])
  return Number.isInteger(ppid) ? ppid : null
}

/**
 * Windows: Win32_Process through PowerShell, as JSON because the table format cuts long command lines.
 * CIM does not tell a process's working folder, so only the command line criteria apply there.
 */
export class WindowsProcessLister implements ProcessLister {
  static readonly SCRIPT =
    '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; ' +
    'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,CommandLine | ConvertTo-Json -Compress'

  async list(): Promise<ProcessInfo[]> {
    const { stdout } = await runListing('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      WindowsProcessLister.SCRIPT
    ])
    return parseWindowsProcessJson(stdout)
  }
}

interface Win32ProcessRow {
  ProcessId?: number
  ParentProcessId?: number
  CommandLine?: string | null
}

/** ConvertTo-Json gives an array, a single object when one process matched, or nothing at all. */
export function parseWindowsProcessJson(output: string): ProcessInfo[] {
  const text = output.replace(/^\uFEFF/, '').trim()
  if (text === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new XlrBackupError(
      `Cannot read the Windows process list (Get-CimInstance Win32_Process): ${(err as Error).message}`,
      {
        cause: err
      }
    )
  }
  const rows = (Array.isArray(parsed) ? parsed : [parsed]) as Win32ProcessRow[]
  const out: ProcessInfo[] = []
  for (const row of rows) {
    // System processes hide their command line from non-administrators: CommandLine is null, nothing to match.
    if (typeof row?.ProcessId !== 'number' || typeof row.CommandLine !== 'string' || row.CommandLine === '') continue
    out.push({
      pid: row.ProcessId,
      ppid: typeof row.ParentProcessId === 'number' ? row.ParentProcessId : null,
      argv: null,
      commandLine: row.CommandLine,
      cwd: null
    })
  }
  return out
}

/**
 * macOS and other Unixes: `ps` for PID, parent and full command line, then `lsof` for the working folder of the Java
 * processes only (lsof over every process is slow). A missing or failing lsof leaves `cwd` unknown.
 */
export class PsProcessLister implements ProcessLister {
  async list(): Promise<ProcessInfo[]> {
    const { stdout } = await runListing('ps', ['-axww', '-o', 'pid=,ppid=,command='])
    const processes = parsePsOutput(stdout)
    const javaPids = processes.filter(p => isJavaLike(p)).map(p => p.pid)
    if (javaPids.length > 0) {
      let lsofOut: string
      try {
        lsofOut = (
          await execFileAsync('lsof', ['-a', '-d', 'cwd', '-Fpn', '-p', javaPids.join(',')], { encoding: 'utf8' })
        ).stdout
      } catch (err) {
        // lsof exits 1 when one of the PIDs is gone or not ours, yet prints the others; no lsof at all: cwd unknown.
        lsofOut = typeof (err as { stdout?: unknown }).stdout === 'string' ? (err as { stdout: string }).stdout : ''
      }
      const cwds = parseLsofCwd(lsofOut)
      for (const p of processes) p.cwd = cwds.get(p.pid) ?? null
    }
    return processes
  }
}

/** Lines of `ps -o pid=,ppid=,command=`: right-aligned numbers, then the command line to the end of the line. */
export function parsePsOutput(output: string): ProcessInfo[] {
  const out: ProcessInfo[] = []
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*\S)\s*$/.exec(line)
    if (!m) continue
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), argv: null, commandLine: m[3], cwd: null })
  }
  return out
}

/** `lsof -Fpn` output: `p<PID>` starts a process, `n<name>` is the file (here: the cwd). */
export function parseLsofCwd(output: string): Map<number, string> {
  const cwds = new Map<number, string>()
  let pid: number | null = null
  for (const line of output.split(/\r?\n/)) {
    if (line.startsWith('p')) pid = Number(line.slice(1))
    else if (line.startsWith('n') && pid !== null && !cwds.has(pid)) {
      // lsof reports an unreadable link as `n/proc/1/cwd (readlink: Permission denied)`: that is no folder.
      const name = line.slice(1)
      if (!/ \((?:readlink|stat|lstat): /.test(name)) cwds.set(pid, name)
    }
  }
  return cwds
}

/** The program a command line runs, without folder or `.exe`: `java` for `"C:\Program Files\Java\bin\java.exe" -cp …`. */
export function programName(p: Pick<ProcessInfo, 'argv' | 'commandLine'>): string {
  let first: string
  if (p.argv && p.argv.length > 0) first = p.argv[0]
  else {
    const line = p.commandLine.trim()
    const quoted = /^"([^"]*)"/.exec(line)
    first = quoted ? quoted[1] : line.split(/\s+/)[0]
  }
  const base = first.split(/[\\/]/).pop() ?? ''
  return base.toLowerCase().replace(/\.exe$/, '')
}

/** A JVM (`java`, `javaw`) or a service wrapper binary (`wrapper`, `wrapper-linux-x86-64`, `wrapperw`). */
export function isJavaLike(p: Pick<ProcessInfo, 'argv' | 'commandLine'>): boolean {
  const name = programName(p)
  return name === 'java' || name === 'javaw' || name.startsWith('wrapper')
}

async function runListing(file: string, args: string[]): Promise<{ stdout: string }> {
  try {
    const { stdout } = await execFileAsync(file, args, {
      maxBuffer: LISTING_MAX_BUFFER,
      env: toolEnv(),
      windowsHide: true,
      encoding: 'utf8'
    })
    return { stdout }
  } catch (err) {
    throw new XlrBackupError(
      `Cannot list processes with \`${file} ${args.join(' ')}\`: ${(err as Error).message}. ` +
        'The guard needs the process list to prove XL Release is stopped.',
      { cause: err }
    )
  }
}
