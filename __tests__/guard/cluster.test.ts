import { appendFile, readdir } from 'node:fs/promises'
import * as http from 'node:http'
import * as path from 'node:path'
import { assertClusterDown, type ClusterNode } from '../../src/guard/cluster.js'
import { readHome } from '../../src/home/index.js'
import { Input } from '../../src/settings/inputs.js'
import { InputError, ServerRunningError } from '../../src/shared/errors.js'
import { MemoryLogger } from '../../src/shared/logger.js'
import { directoryJob, run, runFailing, settingsOf } from '../support/run-job.js'
import { Cleanup, freePort } from '../support/guard-fixtures.js'
import { scratchHome } from '../support/scratch.js'
import { thrownBy } from '../support/thrown.js'

const cleanup = new Cleanup()
let work: string
let home: string

// Declared before the folder's removal, so it runs first: what a test started is stopped before its folder goes.
afterEach(() => cleanup.run())
scratchHome('xlr-cluster-', 0.001, made => ({ work, home } = made), { each: true })

const nodesOf = (text: string): ClusterNode[] | 'none' | null =>
  settingsOf({ [Input.Home]: home, [Input.ClusterNodes]: text }).server.clusterNodes

async function clusterHome(mode = 'hot-standby'): Promise<void> {
  await appendFile(path.join(home, 'conf', 'xl-release.conf'), `\nxl.cluster {\n  mode = ${mode}\n}\n`)
}

/** An HTTP listener standing for a node, answering every request with `status`. */
async function httpNode(status: number): Promise<number> {
  const port = await freePort()
  const server = http.createServer((_req, res) => res.writeHead(status).end())
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  cleanupHttp.push(server)
  return port
}
const cleanupHttp: http.Server[] = []
afterEach(async () => {
  for (const s of cleanupHttp.splice(0)) await new Promise(resolve => s.close(resolve))
})

describe("the 'cluster-nodes' input", () => {
  test('host:port, [IPv6]:port and http(s) URLs, one per line; comments and blank lines skipped; none', () => {
    expect(nodesOf('xlr-2.example.com:5516\n# the standby\n\n[fd00::2]:5543\nhttps://xlr-3:5543/ha/health')).toEqual([
      { kind: 'address', line: 1, host: 'xlr-2.example.com', port: 5516 },
      { kind: 'address', line: 2, host: 'fd00::2', port: 5543 },
      { kind: 'url', line: 3, url: 'https://xlr-3:5543/ha/health' }
    ])
    expect(nodesOf('none')).toBe('none')
    expect(nodesOf('')).toBeNull()
  })

  test.each([
    ['xlr-2.example.com', /line 1 \("xlr-2.example.com"\) is neither host:port nor an http\(s\) URL/],
    ['xlr-2:70000', /has the port 70000, outside 1 to 65535/],
    ['ftp://xlr-2/', /has the scheme 'ftp:'/],
    ['xlr-2:5516\nnone', /line 2 \("none"\) is 'none', which must be the only line/],
    ['https://admin:secret@xlr 2:5543/ha/health', /line 1 \("\(not a URL\)"\) is not a URL/],
    ['https://admin:secret@/x', /line 1/]
  ])('%j is refused naming the line and the fix', (text, message) => {
    const error = thrownBy(InputError, () => nodesOf(text))
    expect(error.input).toBe(Input.ClusterNodes)
    expect(error.message).toMatch(message)
    expect(error.message).toContain("as host:port (e.g. 'xlr-2.example.com:5516'")
    expect(error.message).not.toContain('secret')
  })
})

describe('proving the other nodes down', () => {
  test('closed ports and URLs where nothing listens: proven down', async () => {
    const [a, b] = [await freePort(), await freePort()]
    const logger = new MemoryLogger()
    await assertClusterDown(
      null,
      [
        { kind: 'address', line: 1, host: '127.0.0.1', port: a },
        { kind: 'url', line: 2, url: `http://127.0.0.1:${b}/ha/health` }
      ],
      'backup',
      logger
    )
    expect(logger.messages('info').join('\n')).toContain(
      `Every other cluster node is down: 127.0.0.1:${a}, http://127.0.0.1:${b}/ha/health.`
    )
  })

  test('a node whose port is open, and one whose URL answers 503 (a standby): refused, naming each', async () => {
    const down = await freePort()
    const open = await freePort()
    await cleanup.listen(open)
    const standby = await httpNode(503)
    const error = await assertClusterDown(
      null,
      [
        { kind: 'address', line: 1, host: '127.0.0.1', port: down },
        { kind: 'address', line: 2, host: '127.0.0.1', port: open },
        { kind: 'url', line: 3, url: `http://admin:pw@127.0.0.1:${standby}/ha/health` }
      ],
      'restore',
      new MemoryLogger()
    ).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(ServerRunningError)
    const message = (error as Error).message
    expect(message).toContain(`127.0.0.1:${open} is still up: port ${open} accepts connections`)
    expect(message).toContain(`http://***@127.0.0.1:${standby}/ha/health is still up: it answers HTTP 503`)
    expect(message).not.toContain(`127.0.0.1:${down}`)
    expect(message).not.toContain('pw@')
    expect(message).toContain('Nothing was changed.')
  })

  test('a dry run warns instead of refusing', async () => {
    const open = await freePort()
    await cleanup.listen(open)
    const logger = new MemoryLogger()
    await assertClusterDown(null, [{ kind: 'address', line: 1, host: '127.0.0.1', port: open }], 'restore', logger, {
      warnOnly: true
    })
    expect(logger.messages('warning').join('\n')).toContain('Dry run: the restore would be refused.')
  })

  test("a home whose conf makes it a cluster node: read from xl.cluster.mode; 'default' is no cluster", async () => {
    await clusterHome('default')
    expect((await readHome(home, new MemoryLogger())).cluster).toBeUndefined()
    await clusterHome('full')
    expect((await readHome(home, new MemoryLogger())).cluster).toEqual({ mode: 'full', key: 'xl.cluster.mode' })
  })

  test("a cluster home without 'cluster-nodes': the backup is refused with the fix before anything is written", async () => {
    await clusterHome()
    const store = path.join(work, 'store')
    const { error } = await runFailing(directoryJob(home, store))
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe(Input.ClusterNodes)
    expect(error.message).toContain('is a cluster node (conf/xl-release.conf: xl.cluster.mode = hot-standby)')
    expect(error.message).toContain("or to 'none' when this node runs alone")
    expect(await readdir(store).catch(() => [])).toEqual([])
  })

  test("a cluster home with 'cluster-nodes: none', or with its other nodes down: the backup runs", async () => {
    await clusterHome()
    const inputs = directoryJob(home, path.join(work, 'store'))
    const alone = await run({ ...inputs, [Input.ClusterNodes]: 'none', [Input.Name]: 'alone' })
    expect(alone.logger.messages('info').join('\n')).toContain("'cluster-nodes: none' says it runs alone")
    const other = await freePort()
    const listed = await run({ ...inputs, [Input.ClusterNodes]: `127.0.0.1:${other}`, [Input.Name]: 'listed' })
    expect(listed.result.outputs['backup-name']).toMatch(/^listed/)
  })
})
