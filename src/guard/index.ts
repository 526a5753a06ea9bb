export type { GuardFinding, GuardOptions, GuardReport, ProcessInfo, ProcessLister, ServerControl } from './types.js'
export { ServerStartError } from './errors.js'
export { checkServer, assertServerStopped, effectivePort, describeFindings } from './check-server.js'
export { withServerStopped } from './server-control.js'
export {
  defaultProcessLister,
  ProcFsProcessLister,
  PsProcessLister,
  WindowsProcessLister,
  parsePsOutput,
  parseWindowsProcessJson,
  parseLsofCwd
} from './process-list.js'
export { BOOTSTRAPPER_CLASS } from './process-probe.js'
export { redactCommandLine, displayCommandLine } from './redact.js'
