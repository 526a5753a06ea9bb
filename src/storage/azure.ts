import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { DefaultAzureCredential } from '@azure/identity'
import {
  BlobServiceClient,
  RestError,
  type BlobImmutabilityPolicy,
  type ContainerClient,
  type StoragePipelineOptions
} from '@azure/storage-blob'
import { StorageError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import { cancellation } from '../lifecycle/cancel.js'
import { asStorageError, storeCall, type ObjectClient, type Retention, type StoredObject } from './object-client.js'
import { describeAzureFailure } from './azure-errors.js'

export interface AzureLocation {
  container: string
  /** The account URL ('https://<account>.blob.core.windows.net'); unused with a connection string. */
  endpoint: string
}

/**
 * Azure Blob Storage through @azure/storage-blob: AZURE_STORAGE_CONNECTION_STRING when the environment has it, else
 * DefaultAzureCredential against the account URL in 'endpoint' (what azure/login with OIDC sets up). A backup is
 * a block blob whose blocks are staged in parallel and committed in one call, with its metadata and immutability
 * policy: before the commit no blob of that name exists, after it the blob is whole and locked.
 */
export class AzureObjectClient implements ObjectClient {
  readonly where: string
  private readonly container: ContainerClient

  constructor(
    private readonly location: AzureLocation,
    env: NodeJS.ProcessEnv = process.env,
    pipeline: StoragePipelineOptions = {}
  ) {
    const connection = env.AZURE_STORAGE_CONNECTION_STRING
    const service = connection
      ? BlobServiceClient.fromConnectionString(connection, pipeline)
      : new BlobServiceClient(location.endpoint, new DefaultAzureCredential(), pipeline)
    this.container = service.getContainerClient(location.container)
    this.where = this.container.url
  }

  url(key: string): string {
    return this.container.getBlobClient(key).url
  }

  async preflight(probeKey: string, retention: Retention | null): Promise<void> {
    const props = await this.call('read the container', async () => this.container.getProperties())
    if (retention && !props.isImmutableStorageWithVersioningEnabled) {
      throw new StorageError(
        `Input '${Input.ImmutableDays}' asks for immutable backups, but container '${this.location.container}' does not ` +
          `have version-level immutability support. Create the container with it enabled (az storage container-rm ` +
          `create --enable-vlw, on an account with versioning), or remove '${Input.ImmutableDays}'.`
      )
    }
    // A staged, never committed block proves the right to write without creating a blob (the service drops
    // uncommitted blocks after a week; nothing lists them as a blob).
    await this.call('write a block (Storage Blob Data Contributor)', async () =>
      this.container.getBlockBlobClient(probeKey).stageBlock(blockId(0), Buffer.alloc(1), 1)
    )
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = []
    await this.call('list the container', async () => {
      for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
        objects.push({
          key: blob.name,
          size: blob.properties.contentLength ?? 0,
          lastModified: blob.properties.lastModified ?? null,
          metadata: blob.metadata ?? {}
        })
      }
    })
    return objects
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const props = await this.container.getBlobClient(key).getProperties()
      return {
        key,
        size: props.contentLength ?? 0,
        lastModified: props.lastModified ?? null,
        metadata: props.metadata ?? {}
      }
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return null
      throw this.failure(`read ${this.url(key)}`, error)
    }
  }

  async upload(file: string, key: string, options: Parameters<ObjectClient['upload']>[2]): Promise<void> {
    const blob = this.container.getBlockBlobClient(key)
    const count = Math.ceil(options.size / options.partSize)
    const ids = Array.from({ length: count }, (_, i) => blockId(i))
    const sent = new Array<number>(count).fill(0)
    const abort = new AbortController()
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const index = next++
        const start = index * options.partSize
        const length = Math.min(options.partSize, options.size - start)
        await blob.stageBlock(ids[index], () => createReadStream(file, { start, end: start + length - 1 }), length, {
          abortSignal: abort.signal,
          onProgress: p => {
            sent[index] = p.loadedBytes
            options.onBytes(sent.reduce((a, b) => a + b, 0))
          }
        })
      }
    }
    const work = (async () => {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, count)) }, worker))
      await blob.commitBlockList(ids, {
        abortSignal: abort.signal,
        metadata: options.metadata,
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
        ...immutability(options.retention)
      })
    })()
    try {
      await cancellation.race(work)
    } catch (error) {
      abort.abort()
      await work.catch(() => undefined)
      throw this.failure(`upload ${this.url(key)}`, error)
    }
  }

  async download(key: string): Promise<Readable> {
    const got = await this.call(`read ${this.url(key)}`, async () =>
      this.container.getBlobClient(key).download(0, undefined, { maxRetryRequests: 5 })
    )
    if (!got.readableStreamBody) throw new StorageError(`Azure sent no body for ${this.url(key)}.`)
    return got.readableStreamBody as Readable
  }

  async readSmall(key: string, maxBytes: number): Promise<string | null> {
    const head = await this.head(key)
    if (!head) return null
    if (head.size > maxBytes) {
      throw new StorageError(`${this.url(key)} is ${head.size} bytes, larger than a signature file can be: refused.`)
    }
    const buffer = await this.call(`read ${this.url(key)}`, async () =>
      this.container.getBlobClient(key).downloadToBuffer(0, head.size)
    )
    return buffer.toString('utf8')
  }

  async writeSmall(key: string, text: string, retention: Retention | null): Promise<void> {
    const body = Buffer.from(text, 'utf8')
    await this.call(`write ${this.url(key)}`, async () =>
      this.container.getBlockBlobClient(key).upload(body, body.length, {
        blobHTTPHeaders: { blobContentType: 'text/plain' },
        ...immutability(retention)
      })
    )
  }

  async remove(key: string): Promise<'deleted' | 'locked' | 'absent'> {
    try {
      await this.container.getBlobClient(key).delete()
      return 'deleted'
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return 'absent'
      if (error instanceof RestError && /Immutab|LegalHold/i.test(String(error.code))) return 'locked'
      throw this.failure(`delete ${this.url(key)}`, error)
    }
  }

  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    return await storeCall(work, error => describeAzureFailure(action, error, this.location))
  }

  private failure(action: string, error: unknown): StorageError {
    return asStorageError(error, cause => describeAzureFailure(action, cause, this.location))
  }
}

/** Block ids must be base64 and of one length within a blob. */
function blockId(index: number): string {
  return Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64')
}

function immutability(retention: Retention | null): { immutabilityPolicy?: BlobImmutabilityPolicy } {
  if (!retention) return {}
  return {
    immutabilityPolicy: {
      expiriesOn: retention.until,
      policyMode: retention.mode === 'compliance' ? 'Locked' : 'Unlocked'
    }
  }
}
