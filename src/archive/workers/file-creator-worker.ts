/**
 * The file creator pool's worker thread (see file-creator-pool.ts): creates the files of a batch (open, write,
 * fchmod, futimes, close). Content arrives either checked already or as the archive stores it, which this thread
 * inflates and checks (size, CRC-32, SHA-256) before it creates the file. Bundled by scripts/build-workers.ts into
 * generated/file-creator-worker-source.ts, which the pool runs with `eval: true`; nothing imports this module directly.
 */
import fs from 'node:fs'
import { parentPort } from 'node:worker_threads'
import { inflateChecked } from '../../zip/entry-content.js'
import { collectYoungGarbage, GC_EVERY_BYTES } from '../gc-hint.js'
import { IntegrityError } from '../../shared/errors.js'
import type { CreateFailure, CreateRequest, CreateResponse } from './file-creator-protocol.js'

const port = parentPort!
/**
 * Inflated content is garbage as soon as it is written, but V8 collects Buffers late, and what each thread frees
 * piles up in its own malloc arena: left alone, the two workers added ~50 MB to a restore's peak. A scavenge every
 * 2 MB inflated (a quarter of the writer's rule, see gc-hint.ts) keeps the peak near what it was with the main
 * thread inflating.
 */
const COLLECT_EVERY_BYTES = GC_EVERY_BYTES / 4
let sinceCollect = 0

function failed(target: string, e: unknown): CreateFailure {
  const error = e as NodeJS.ErrnoException | null
  return {
    target,
    code: error?.code,
    message: String(error?.message || e),
    ...(e instanceof IntegrityError ? { integrity: true } : {})
  }
}

port.on('message', (msg: CreateRequest) => {
  const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
  let failure: CreateFailure | null = null
  for (const f of msg.files) {
    let fd = -1
    try {
      let content = data.subarray(f.offset, f.offset + f.length)
      // Checked before the file exists: a damaged entry leaves nothing behind for it.
      if (f.stored) {
        content = inflateChecked(f.stored.file, f.stored, content)
        sinceCollect += content.length
      }
      fd = fs.openSync(f.target, msg.flags, 0o600)
      let written = 0
      while (written < content.length) written += fs.writeSync(fd, content, written, content.length - written)
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
  if (sinceCollect >= COLLECT_EVERY_BYTES) {
    sinceCollect = 0
    collectYoungGarbage()
  }
  const reply: CreateResponse = { seq: msg.seq, failure, data: msg.data }
  port.postMessage(reply, [msg.data.buffer as ArrayBuffer])
})
