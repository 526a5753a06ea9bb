/**
 * The file creator pool's worker thread (see file-creator-pool.ts): creates the files of a batch (open, write,
 * fchmod, futimes, close) whose content the main thread has already checked. Bundled by scripts/build-workers.ts into
 * generated/file-creator-worker-source.ts, which the pool runs with `eval: true`; nothing imports this module directly.
 */
import fs from 'node:fs'
import { parentPort } from 'node:worker_threads'
import type { CreateFailure, CreateRequest, CreateResponse } from './file-creator-protocol.js'

const port = parentPort!

function failed(target: string, e: unknown): CreateFailure {
  const error = e as NodeJS.ErrnoException | null
  return { target, code: error?.code, message: String(error?.message || e) }
}

port.on('message', (msg: CreateRequest) => {
  const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
  let failure: CreateFailure | null = null
  for (const f of msg.files) {
    let fd = -1
    try {
      fd = fs.openSync(f.target, msg.flags, 0o600)
      let written = 0
      while (written < f.length) written += fs.writeSync(fd, data, f.offset + written, f.length - written)
      fs.fchmodSync(fd, f.mode)
      fs.futimesSync(fd, f.time, f.time)
    } catch (e) {
      failure = failed(f.target, e)
    } finally {
      if (fd >= 0) {
        try {
          fs.closeSync(fd)
        } catch (e) {
          failure ??= failed(f.target, e)
        }
      }
    }
    if (failure) break
  }
  const reply: CreateResponse = { seq: msg.seq, failure, data: msg.data }
  port.postMessage(reply, [msg.data.buffer as ArrayBuffer])
})
