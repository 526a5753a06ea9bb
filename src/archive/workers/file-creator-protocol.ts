/** The messages between FileCreatorPool (main thread) and its workers (file-creator-worker.ts). */

/** An entry whose content arrives as stored in the archive: the worker inflates and checks it before writing. */
export interface StoredEntry {
  /** The backup file, for the message naming a damaged entry. */
  file: string
  name: string
  method: number
  size: number
  crc32: number
  sha256: string | null
}

export interface CreateRequest {
  seq: number
  /** open(2) flags for every file. */
  flags: number
  files: {
    target: string
    offset: number
    length: number
    mode: number
    time: number
    /** Set when the bytes are the archive's stored data, still to be inflated and checked. */
    stored?: StoredEntry
  }[]
  /** Every file's content, at its offset; handed back in the reply for the next batch. */
  data: Uint8Array
}

export interface CreateFailure {
  target: string
  code?: string
  message: string
  /** The content failed its checks (size, CRC-32, SHA-256, corrupt data): the backup is damaged. */
  integrity?: boolean
}

export interface CreateResponse {
  seq: number
  /** The first file that could not be created; the batch stops there. */
  failure: CreateFailure | null
  data: Uint8Array
}
