import { StorageError } from '../shared/errors.js'
import type { Readable } from 'node:stream'

/** One object (S3) or blob (Azure) as a listing or a lookup gives it. */
export interface StoredObject {
  key: string
  size: number
  lastModified: Date | null
  /** The object's user metadata; null when the listing does not carry it (S3 lists keys only). */
  metadata: Record<string, string> | null
}

/** Retention put on every object of a new backup. */
export interface Retention {
  mode: 'governance' | 'compliance'
  until: Date
}

/** The metadata keys the action keeps on every object: valid as S3 user metadata and as Azure metadata names. */
export const META_SHA256 = 'sha256'
export const META_CREATED_AT = 'createdat'

/**
 * The few operations the object-store backends need from a service, over its own SDK. Each method turns the
 * service's failures into StorageErrors that name the input at fault and the fix.
 */
export interface ObjectClient {
  /** The store as messages name it: 's3://bucket' or the container's URL. */
  readonly where: string
  url(key: string): string
  /** Checks bucket, credentials and the right to write (and to set retention) without leaving an object behind. */
  preflight(probeKey: string, retention: Retention | null): Promise<void>
  /** Every object whose key starts with `prefix`, all pages. */
  list(prefix: string): Promise<StoredObject[]>
  /** The object with its metadata, or null when there is none. */
  head(key: string): Promise<StoredObject | null>
  /**
   * Uploads `file` as `key` in parts of `partSize`, `parallel` at once; the object appears only once complete. A
   * failed upload is aborted (no parts left billed). `onBytes` gets the bytes sent so far.
   */
  upload(
    file: string,
    key: string,
    options: {
      size: number
      sha256: string
      metadata: Record<string, string>
      retention: Retention | null
      partSize: number
      parallel: number
      onBytes: (sent: number) => void
    }
  ): Promise<void>
  /** The object's bytes as a stream. */
  download(key: string): Promise<Readable>
  /** A small object's text (a signature companion), or null when absent; refused above `maxBytes`. */
  readSmall(key: string, maxBytes: number): Promise<string | null>
  writeSmall(key: string, text: string, retention: Retention | null): Promise<void>
  /** 'locked' when retention forbids it; 'absent' when there was nothing to delete. */
  remove(key: string): Promise<'deleted' | 'locked' | 'absent'>
}

/** What a store's client threw, as a StorageError worded by `describe`; one already worded passes as it is. */
export function asStorageError(error: unknown, describe: (error: unknown) => string): StorageError {
  return error instanceof StorageError ? error : new StorageError(describe(error), { cause: error })
}

/** Runs one call to a store, turning what it throws into a StorageError worded by `describe`. */
export async function storeCall<T>(work: () => Promise<T>, describe: (error: unknown) => string): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw asStorageError(error, describe)
  }
}
