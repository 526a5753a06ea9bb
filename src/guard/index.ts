export type { GuardOptions, ServerControl } from './types.js'
export { ServerStartError } from './errors.js'
export { checkServer, assertServerStopped, describeFindings } from './check-server.js'
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
export { redactCommandLine, displayCommandLine } from './redact.js'
