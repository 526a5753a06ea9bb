import type { ClusterNode } from '../guard/cluster.js'
import { displayUrl } from '../guard/health.js'
import { InputError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'

/** 'health-url': '' (the server's own), 'none', or an http(s) URL with a host. The value is never echoed whole. */
export function parseHealthUrl(value: string): string {
  if (value === '' || value === 'none') return value
  const problem = httpUrlProblem(value)
  if (problem) {
    throw new InputError(
      Input.HealthUrl,
      `Input '${Input.HealthUrl}' ${problem}. Give the URL that answers HTTP 200 once XL Release is usable (e.g. ` +
        `'https://xlr.example.com/ha/health'), leave it empty for the server's own, or 'none' to wait for the port only.`
    )
  }
  return value
}

/**
 * 'cluster-nodes': one node per line, 'host:port' (its HTTP port; IPv6 in brackets) or an http(s) URL; or the single
 * line 'none'. Blank lines and '#' comments are skipped. Empty: null (not set).
 */
export function parseClusterNodes(lines: string[]): ClusterNode[] | 'none' | null {
  if (lines.length === 0) return null
  if (lines.length === 1 && lines[0] === 'none') return 'none'
  return lines.map((text, i) => {
    const line = i + 1
    const fail = (why: string): never => {
      throw new InputError(
        Input.ClusterNodes,
        `Input '${Input.ClusterNodes}' line ${line} (${JSON.stringify(shown(text))}) ${why}. Give one other node per ` +
          "line as host:port (e.g. 'xlr-2.example.com:5516', '[fd00::2]:5516') or as its health URL (e.g. " +
          "'https://xlr-2.example.com:5543/ha/health'); or the single line 'none' when this node runs alone."
      )
    }
    if (text === 'none') fail("is 'none', which must be the only line")
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
      const problem = httpUrlProblem(text)
      if (problem) fail(problem)
      return { kind: 'url', line, url: text }
    }
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(text)
    if (!m) fail('is neither host:port nor an http(s) URL')
    const port = Number(m![2])
    if (port < 1 || port > 65535) fail(`has the port ${port}, outside 1 to 65535`)
    return { kind: 'address', line, host: m![1].replace(/^\[(.*)\]$/, '$1'), port }
  })
}

/** What is wrong with an http(s) URL, or null. */
function httpUrlProblem(value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `has the scheme '${url.protocol}', but only http: and https: are asked`
  }
  if (url.hostname === '') return 'names no host'
  return null
}

/** A line as it may be shown: credentials in a URL masked. */
function shown(text: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) && text.includes('@') ? displayUrl(text) : text
}
