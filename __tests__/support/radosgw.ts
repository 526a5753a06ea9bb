/**
 * A throwaway single-host Ceph cluster whose RADOS Gateway (radosgw) is the S3 server of the tests that need what
 * s3rver lacks: Object Lock, versioning, retention. One monitor, one OSD on memstore (the objects live in the OSD's
 * memory), no cephx, and radosgw with the beast frontend, all ordinary child processes in the foreground, configured
 * in a private temporary folder on free ports. The S3 user's keys go from radosgw-admin's output straight into the
 * returned environment: never printed, never in a file (the cluster keeps them in the OSD's memory). The packages
 * (ceph-mon, ceph-osd, radosgw from Debian) come from .ci/setup-machine.sh. Start-up time is in docs/object-stores.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './net.js'
import type { ObjectServer } from './object-servers.js'

const run = promisify(execFile)

/** How long the cluster may take to come up on a loaded machine (it takes seconds on an idle one). */
const START_LIMIT_MS = 90_000

export async function startRadosgw(): Promise<ObjectServer> {
  for (const tool of ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph']) {
    await run('which', [tool]).catch(() => {
      throw new Error(`${tool} is not installed: run .ci/setup-machine.sh (it installs Ceph's radosgw from Debian).`)
    })
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'radosgw-'))
  const children: ChildProcess[] = []
  const stop = async (): Promise<void> => {
    // The gateway first, then the OSD, then the monitor: each still finds what it talks to while it shuts down.
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve))
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(killer)
      }
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const monPort = await freePort()
    const rgwPort = await freePort()
    const conf = path.join(dir, 'ceph.conf')
    const fsid = randomUUID()
    for (const sub of ['mon', 'osd', 'run', 'log', 'rgw']) await mkdir(path.join(dir, sub))
    await writeFile(conf, config(dir, fsid, monPort, rgwPort), { mode: 0o600 })
    const c = ['-c', conf]
    const deadline = Date.now() + START_LIMIT_MS
    const daemon = (bin: string, args: string[]): void => {
      const child = spawn(bin, [...c, ...args, '-f'], { cwd: dir, stdio: 'ignore' })
      children.push(child)
    }
    const tool = async (bin: string, args: string[]): Promise<string> =>
      (await run(bin, [...c, ...args], { cwd: dir, timeout: Math.max(1000, deadline - Date.now()) })).stdout

    await tool('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, 'monmap'])
    await tool('ceph-mon', ['-i', 'a', '--mkfs', '--monmap', path.join(dir, 'monmap')])
    daemon('ceph-mon', ['-i', 'a'])
    const osdUuid = randomUUID()
    const osdId = (await tool('ceph', ['osd', 'new', osdUuid])).trim()
    await tool('ceph-osd', ['-i', osdId, '--mkfs', '--osd-uuid', osdUuid])
    daemon('ceph-osd', ['-i', osdId])
    daemon('radosgw', ['-n', 'client.rgw'])
    const endpoint = `http://127.0.0.1:${rgwPort}`
    // radosgw answers only once it has made its pools, which needs the OSD up: its answer is the cluster's readiness.
    while (!(await answers(endpoint))) {
      const dead = children.find(child => child.exitCode !== null || child.signalCode !== null)
      if (dead || Date.now() > deadline) {
        throw new Error(
          `The Ceph cluster for radosgw did not come up${dead ? ` (${dead.spawnfile} exited)` : ''}:\n${await logs(dir)}`
        )
      }
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    const user = JSON.parse(
      await tool('radosgw-admin', ['user', 'create', '--uid', 'xlr-backup-tests', '--display-name', 'xlr-backup tests'])
    ) as { keys: { access_key: string; secret_key: string }[] }
    return {
      endpoint,
      dataDir: dir,
      output: () => '',
      env: {
        AWS_ACCESS_KEY_ID: user.keys[0].access_key,
        AWS_SECRET_ACCESS_KEY: user.keys[0].secret_key,
        AWS_EC2_METADATA_DISABLED: 'true'
      },
      stop
    }
  } catch (error) {
    await stop()
    throw error
  }
}

function config(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
ms bind msgr1 = false
ms bind ipv6 = false
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# radosgw asks for 'secure' connection mode by default, which auth 'none' cannot give: without this it never connects.
ms mon client mode = crc secure
ms client mode = crc secure
run dir = ${dir}/run
pid file = ${dir}/run/$name.pid
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
keyring = ${dir}/keyring
mon data = ${dir}/mon
mon data avail warn = 1
mon data avail crit = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
osd data = ${dir}/osd
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
`
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(endpoint, { signal: AbortSignal.timeout(2000) })).ok
  } catch {
    return false
  }
}

async function logs(dir: string): Promise<string> {
  const parts: string[] = []
  for (const name of ['mon.a', 'osd.0', 'client.rgw']) {
    const text = await readFile(path.join(dir, 'log', `${name}.log`), 'utf8').catch(() => '')
    parts.push(`--- ${name} (last lines)\n${text.split('\n').slice(-15).join('\n')}`)
  }
  return parts.join('\n')
}
