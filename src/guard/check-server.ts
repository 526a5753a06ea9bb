import { InputError, ServerRunningError, XlrBackupError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { HomeInfo } from '../home/types.js'
import { findLockFiles } from './lock-files.js'
import { addressesToProbe, probePorts } from './port-probe.js'
import { defaultProcessLister } from './process-list.js'
import { probeProcesses } from './process-probe.js'
import type { GuardFinding, GuardOptions, GuardReport } from './types.js'
import { Input } from '../shared/io-names.js'

export const DEFAULT_PROBE_TIMEOUT_MS = 1500

/** The port the server listens on, and where that number came from (for messages). */
export function effectivePort(home: HomeInfo, opts: GuardOptions): { port: number; source: string } {
  if (opts.port !== undefined) {
    if (!isPort(opts.port)) {
      throw new InputError(
        Input.Port,
        `Input '${Input.Port}' must be a TCP port between 1 and 65535, got '${opts.port}'.`
      )
    }
    return { port: opts.port, source: 'the port input' }
  }
  if (!isPort(home.server.httpPort)) {
    throw new XlrBackupError(
      `http.port in ${home.path}/conf/xl-release-server.conf is '${home.server.httpPort}', not a TCP port. ` +
        `Fix the file, or set the input '${Input.Port}' to the server's HTTP port.`
    )
  }
  return { port: home.server.httpPort, source: 'http.port' }
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535
}

/** Runs the three probes at once: the port, the process list, the lock files. */
export async function checkServer(home: HomeInfo, opts: GuardOptions, logger: Logger): Promise<GuardReport> {
  const { port, source } = effectivePort(home, opts)
  const addresses = addressesToProbe(home.server.bindAddress)
  const lister = opts.processLister ?? defaultProcessLister()
  const [ports, processes, locks] = await Promise.all([
    probePorts(addresses, port, source, opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, logger),
    probeProcesses(home.path, lister, logger),
    findLockFiles(home.path, logger)
  ])
  const findings = [...ports, ...processes, ...locks]
  return { running: findings.some(f => f.blocking), findings }
}

export function blockingFindings(report: GuardReport): GuardFinding[] {
  return report.findings.filter(f => f.blocking)
}

/** The findings as an indented list for a multi-line message. */
export function describeFindings(findings: GuardFinding[]): string {
  return findings.map(f => `  - ${f.probe} probe: ${f.detail}`).join('\n')
}

/** What the user can do when the server is up; shared by the refusal and the stop timeout. */
export const HOW_TO_STOP =
  'Stop XL Release first (for example `systemctl stop xl-release` or `bin/server.sh stop` in the home), or set the ' +
  `'${Input.StopCommand}' and '${Input.StartCommand}' inputs so the server is stopped for the work and started again afterwards. ` +
  `If the port belongs to another program, set the input '${Input.Port}' to XL Release's real HTTP port.`

export function serverRunningError(home: HomeInfo, report: GuardReport, purpose: string): ServerRunningError {
  return new ServerRunningError(
    `XL Release is running, so the ${purpose} of ${home.path} was not started. What the guard saw:\n` +
      `${describeFindings(blockingFindings(report))}\n${HOW_TO_STOP}`
  )
}

/** Lock files (and odd port answers) become warnings: they prove nothing alone but the user should know. */
export function warnNonBlocking(report: GuardReport, logger: Logger): void {
  for (const f of report.findings) {
    if (!f.blocking) logger.warning(`${f.probe} probe: ${f.detail}`)
  }
}

/** Throws ServerRunningError when any probe says the server is up; otherwise warns about stale locks. */
export async function assertServerStopped(home: HomeInfo, opts: GuardOptions, logger: Logger): Promise<GuardReport> {
  const report = await checkServer(home, opts, logger)
  if (report.running) throw serverRunningError(home, report, opts.purpose ?? 'backup')
  warnNonBlocking(report, logger)
  logger.info(`XL Release is not running: nothing listens on its port and no server process uses ${home.path}.`)
  return report
}
