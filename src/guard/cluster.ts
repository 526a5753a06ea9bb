import { InputError, ServerRunningError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import type { Logger } from '../shared/logger.js'
import type { HomeInfo } from '../home/types.js'
import { askHealth, describeAnswer, displayUrl } from './health.js'
import { formatHostPort, probePort } from './port-probe.js'
import { DEFAULT_PROBE_TIMEOUT_MS } from './check-server.js'

/** Another node of the cluster, as a line of 'cluster-nodes' names it: its HTTP port, or a URL that answers for it. */
export type ClusterNode =
  { kind: 'address'; line: number; host: string; port: number } | { kind: 'url'; line: number; url: string }

/** Why a node is not proven down, or null when it is. */
type NodeState = { up: false; note?: string } | { up: true; seen: string } | { unknown: string }

/**
 * In a cluster every node must be down while the databases are dumped or restored, and this job can only stop its
 * own. Proves each listed node down before anything changes: its port refuses connections (host:port), or its URL
 * gives no HTTP answer at all (any status, even 503 from a standby, is a node that runs). A home whose config makes it
 * a cluster node needs the list ('none' says it runs alone). `warnOnly` (a dry run) reports instead of refusing.
 */
export async function assertClusterDown(
  home: HomeInfo | null,
  nodes: ClusterNode[] | 'none' | null,
  purpose: string,
  logger: Logger,
  opts: { warnOnly?: boolean; probeTimeoutMs?: number } = {}
): Promise<void> {
  const cluster = home?.cluster
  if (nodes === null) {
    if (!cluster) return
    throw new InputError(
      Input.ClusterNodes,
      `The home ${home.path} is a cluster node (conf/xl-release.conf: ${cluster.key} = ${cluster.mode}), and every ` +
        `node must be stopped for a ${purpose}, but '${Input.ClusterNodes}' does not list the others. Set ` +
        `'${Input.ClusterNodes}' to the other nodes, one per line, as host:port (their HTTP port) or their health URL ` +
        `(e.g. 'https://xlr-2.example.com:5543/ha/health'); or to 'none' when this node runs alone. Nothing was changed.`
    )
  }
  if (nodes === 'none') {
    if (cluster) {
      logger.info(
        `The home is configured as a cluster node (${cluster.key} = ${cluster.mode}); '${Input.ClusterNodes}: none' says it runs alone.`
      )
    }
    return
  }
  const timeoutMs = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  const states = await Promise.all(nodes.map(node => nodeState(node, timeoutMs)))
  const problems: string[] = []
  states.forEach((state, i) => {
    const name = nodeName(nodes[i])
    if ('unknown' in state) problems.push(`${name}: ${state.unknown}`)
    else if (state.up) problems.push(`${name} is still up: ${state.seen}`)
    else if (state.note) logger.warning(`Cluster node ${name} ${state.note}: taken as down.`)
  })
  if (problems.length === 0) {
    logger.info(`Every other cluster node is down: ${nodes.map(nodeName).join(', ')}.`)
    return
  }
  const message =
    `Every node of a cluster must be stopped for a ${purpose}, and not every one listed in '${Input.ClusterNodes}' is ` +
    `proven down:\n${problems.map(p => `  - ${p}`).join('\n')}\n` +
    'Stop those nodes (this job stops only its own server), or fix their lines, and run again.'
  if (opts.warnOnly) {
    logger.warning(`Dry run: the ${purpose} would be refused. ${message}`)
    return
  }
  throw new ServerRunningError(`${message} Nothing was changed.`)
}

function nodeName(node: ClusterNode): string {
  return node.kind === 'address' ? formatHostPort(node.host, node.port) : displayUrl(node.url)
}

/** A name that does not resolve could be a node on a network this runner cannot see: it proves nothing. */
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN'])

async function nodeState(node: ClusterNode, timeoutMs: number): Promise<NodeState> {
  if (node.kind === 'address') {
    const probe = await probePort(node.host, node.port, timeoutMs)
    if (probe.state === 'open') return { up: true, seen: `port ${node.port} accepts connections` }
    if (probe.state === 'closed') return { up: false }
    if (UNRESOLVED.has(probe.code ?? '')) return { unknown: `the host name does not resolve (${probe.code})` }
    return {
      up: false,
      note: probe.state === 'timeout' ? `did not answer within ${timeoutMs} ms` : `is unreachable (${probe.code})`
    }
  }
  // The node is asked without its credentials: any answer, 401 included, shows it runs.
  const url = new URL(node.url)
  url.username = ''
  url.password = ''
  const answer = await askHealth({ url: url.toString(), verifyTls: false }, timeoutMs)
  if ('status' in answer) return { up: true, seen: `it answers ${describeAnswer(answer)}` }
  if (answer.error === 'ECONNREFUSED') return { up: false }
  if (UNRESOLVED.has(answer.error)) return { unknown: `the host name does not resolve (${answer.error})` }
  return { up: false, note: `gave no answer (${answer.error})` }
}
