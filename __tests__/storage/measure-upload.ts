/**
 * Measures how the artifact client uploads one finished backup: `skipArchive` (the file as-is) against a zip
 * wrapper with compression level 0. Not a test (no timing assertions): run by hand with
 *   npx tsx __tests__/storage/measure-upload.ts [MiB]
 * The emulator runs in this process; each upload runs in a child process so its CPU time and peak RSS are its own.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { storageSettings } from '../support/storage-fixtures.js'

async function child(mode: string, file: string): Promise<void> {
  if (mode === 'fetch') return fetchChild(file)
  const { DefaultArtifactClient } = await import('@actions/artifact')
  const started = process.hrtime.bigint()
  const name = mode === 'skipArchive' ? path.basename(file) : `wrapped-${path.basename(file)}`
  const result = await new DefaultArtifactClient().uploadArtifact(
    name,
    [file],
    path.dirname(file),
    mode === 'skipArchive' ? { skipArchive: true } : { compressionLevel: 0 }
  )
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const usage = process.resourceUsage()
  process.stderr.write(
    `RESULT ${JSON.stringify({ mode, ms: Math.round(ms), cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000), maxRssMiB: Math.round(usage.maxRSS / 1024), uploaded: result.size, digest: result.digest })}\n`
  )
}

/** Finds the uploaded backup by name through the storage backend and fetches it (digest checked) into a temp folder. */
async function fetchChild(file: string): Promise<void> {
  const { createStorage } = await import('../../src/storage/index.js')
  const { MemoryLogger } = await import('../../src/shared/logger.js')
  const logger = new MemoryLogger()
  const started = process.hrtime.bigint()
  const store = await createStorage(storageSettings('artifact'), logger)
  const dest = await mkdtemp(path.join(os.tmpdir(), 'measure-fetch-'))
  try {
    const fetched = await store.fetch(await store.find({ name: path.basename(file) }, logger), dest, logger)
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    const usage = process.resourceUsage()
    process.stderr.write(
      `RESULT ${JSON.stringify({ mode: 'fetch', ms: Math.round(ms), cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000), maxRssMiB: Math.round(usage.maxRSS / 1024), fetched: path.basename(fetched) })}\n`
    )
  } finally {
    await rm(dest, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3], process.argv[4])
  const mib = Number(process.argv[2] ?? 200)
  const { startArtifactEmulator } = await import('../support/artifact-emulator.js')
  const { hashFile } = await import('../../src/storage/digest.js')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'measure-upload-'))
  const file = path.join(dir, 'backup.zip')
  const handle = await open(file, 'w')
  for (let i = 0; i < mib; i++) await handle.write(randomBytes(1024 * 1024))
  await handle.close()
  const { sha256, size } = await hashFile(file)
  console.log(`file: ${size} bytes, sha256 ${sha256}`)
  const emu = await startArtifactEmulator()
  try {
    for (const mode of ['skipArchive', 'compressionLevel0', 'fetch']) {
      // Spawned without waiting on the event loop would block the emulator: run the child asynchronously.
      const out = await new Promise<string>((resolve, reject) => {
        import('node:child_process').then(({ spawn }) => {
          const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', mode, file], {
            env: { ...process.env, ...emu.env },
            stdio: ['ignore', 'ignore', 'pipe']
          })
          let err = ''
          p.stderr.on('data', d => (err += String(d)))
          p.on('error', reject)
          p.on('close', () => resolve(err))
        }, reject)
      })
      const line = out.split('\n').find(l => l.startsWith('RESULT '))
      const stored = emu.artifacts().pop()
      console.log(
        line ?? out,
        `stored blob: ${stored?.blobFile ? (await hashFile(stored.blobFile)).size : '?'} bytes, equals file: ${stored?.digest === `sha256:${sha256}`}`
      )
    }
  } finally {
    await emu.close()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
