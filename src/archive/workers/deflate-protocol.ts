/** The messages between DeflatePool (main thread) and its workers (deflate-worker.ts). */

/** What the pool gives each worker at start-up. */
export interface DeflateWorkerData {
  /** Tests only: use zlib's public one-shot API, as when node's internal handle is not usable. */
  portable: boolean
  /** The results ring (see DeflatePool's Ring), when results are released once written. */
  ring?: SharedArrayBuffer
  /** ringControl[0] (a BigInt64) is how far, in bytes produced, the main thread has released the ring. */
  ringControl?: SharedArrayBuffer
}

/** A file to read, hash and (unless `store`) deflate whole. */
export interface FileJobMessage {
  path: string
  /** Bytes as the walker saw them: sizes the read buffer. */
  size: number
  store: boolean
}

export type DeflateRequest =
  | { type: 'probe'; seq: number }
  | { type: 'files'; seq: number; jobs: FileJobMessage[]; level: number }
  | { type: 'chunk'; seq: number; data: Uint8Array; dict: Uint8Array | null; level: number }

export type FileOutcome =
  | {
      ok: true
      sha256: string
      crc: number
      size: number
      /** ZIP method: 0 stored, 8 deflated. */
      method: number
      /** Where the entry's bytes are in the message's result. */
      offset: number
      length: number
    }
  | { ok: false; code?: string; message: string }

export interface DeflateResponse {
  seq: number
  error?: string
  /** One per job of a 'files' request, in order. */
  results?: FileOutcome[]
  /** The result, in a buffer of its own (no ring, or too big for it). */
  data?: Uint8Array
  /** The result, in the worker's ring: offset there, length, and where it ends in bytes produced. */
  ring?: [number, number, number]
  /** A chunk's input, handed back for the next read. */
  input?: Uint8Array
  /** Answer to a probe: whether the worker deflates through node's zlib handle. */
  fast?: boolean
}
