/** The messages between FileCreatorPool (main thread) and its workers (file-creator-worker.ts). */

export interface CreateRequest {
  seq: number
  /** open(2) flags for every file. */
  flags: number
  files: { target: string; offset: number; length: number; mode: number; time: number }[]
  /** Every file's content, at its offset; handed back in the reply for the next batch. */
  data: Uint8Array
}

export interface CreateFailure {
  target: string
  code?: string
  message: string
}

export interface CreateResponse {
  seq: number
  /** The first file that could not be created; the batch stops there. */
  failure: CreateFailure | null
  data: Uint8Array
}
