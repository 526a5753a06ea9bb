/**
 * Real object-store servers for the s3 and azure storage tests, each a separate process on a free port over plain
 * HTTP: s3rver (an S3 API server in Node; no Object Lock, versioning or checksums) and Azurite (Microsoft's Azure
 * Storage emulator). Both keep their data in a folder the tests may look into (and damage).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { S3Client } from '@aws-sdk/client-s3'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { freePort } from './net.js'

const require = createRequire(import.meta.url)

export interface ObjectServer {
  /** The URL of the service ('http://127.0.0.1:<port>' for S3, the account URL for Azurite). */
  endpoint: string
  /** Where the server keeps its data. */
  dataDir: string
  /** Everything the server printed so far (s3rver logs each stored part). */
  output(): string
  /** The environment the SDK reads its credentials from. */
  env: Record<string, string>
  stop(): Promise<void>
}

/** s3rver's fixed access key: it checks every request's signature against it. */
export const S3RVER_KEY = 'S3RVER'

export async function startS3rver(buckets: string[]): Promise<ObjectServer> {
  const port = await freePort()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 's3rver-'))
  const bin = path.join(path.dirname(require.resolve('s3rver/package.json')), 'bin/s3rver.js')
  // s3rver encrypts the continuation token of a listing longer than one page (1,000 keys) with DES, which OpenSSL 3
  // keeps only in its legacy provider: without it every such listing fails with HTTP 500.
  const args = [
    '--openssl-legacy-provider',
    bin,
    '--directory',
    dataDir,
    '--port',
    String(port),
    '--address',
    '127.0.0.1'
  ]
  for (const bucket of buckets) args.push('--configure-bucket', bucket)
  const server = await startServer(args, port, dataDir)
  return {
    ...server,
    endpoint: `http://127.0.0.1:${port}`,
    env: {
      AWS_ACCESS_KEY_ID: S3RVER_KEY,
      AWS_SECRET_ACCESS_KEY: S3RVER_KEY,
      AWS_EC2_METADATA_DISABLED: 'true'
    }
  }
}

/** Azurite's well-known development account (public in Microsoft's docs; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1'
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

export async function startAzurite(): Promise<ObjectServer> {
  const port = await freePort()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'azurite-'))
  const bin = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js')
  const args = [
    bin,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--location',
    dataDir,
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent'
  ]
  const server = await startServer(args, port, dataDir)
  const endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`
  return {
    ...server,
    endpoint,
    env: {
      AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${endpoint};`
    }
  }
}

async function startServer(
  args: string[],
  port: number,
  dataDir: string
): Promise<Pick<ObjectServer, 'dataDir' | 'output' | 'stop'>> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' }
  })
  let printed = ''
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const deadline = Date.now() + 30_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(
        `${path.basename(args.find(a => !a.startsWith('--')) ?? '')} did not start on port ${port}:\n${printed}`
      )
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return {
    dataDir,
    output: () => printed,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

async function accepts(port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** An S3 client of the test's own (not the action's) for `server`, with the keys the server gave. */
export function s3Client(server: ObjectServer): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.env.AWS_ACCESS_KEY_ID, secretAccessKey: server.env.AWS_SECRET_ACCESS_KEY }
  })
}
