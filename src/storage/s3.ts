import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
  type S3ClientConfig
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { StorageError } from '../shared/errors.js'
import { Input } from '../shared/io-names.js'
import { cancellation } from '../lifecycle/cancel.js'
import { asStorageError, storeCall, type ObjectClient, type Retention, type StoredObject } from './object-client.js'
import { describeS3Failure } from './s3-errors.js'

export interface S3Location {
  bucket: string
  /** '' = AWS. */
  endpoint: string
  region: string
  forcePathStyle: boolean
}

/**
 * S3 and S3-compatible stores through the AWS SDK v3. Credentials come only from the SDK's default chain (the
 * environment that aws-actions/configure-aws-credentials sets up, a web identity token, an instance profile).
 * On AWS every part carries a SHA-256 checksum the service verifies; other endpoints get only the checksums an
 * operation requires, as several S3-compatible stores refuse the SDK's default ones.
 */
export class S3ObjectClient implements ObjectClient {
  readonly where: string
  private readonly s3: S3Client
  private readonly onAws: boolean

  constructor(
    private readonly location: S3Location,
    config: Partial<S3ClientConfig> = {}
  ) {
    this.where = `s3://${location.bucket}`
    this.onAws = location.endpoint === ''
    this.s3 = new S3Client({
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      ...(this.onAws
        ? {}
        : {
            endpoint: location.endpoint,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED'
          }),
      ...config
    })
  }

  url(key: string): string {
    return `s3://${this.location.bucket}/${key}`
  }

  async preflight(probeKey: string, retention: Retention | null): Promise<void> {
    // A listing, not HeadBucket: a HEAD answer has no body, so a refusal could not tell bad credentials from a
    // missing permission.
    await this.call('list the bucket (s3:ListBucket)', async () =>
      this.s3.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: probeKey, MaxKeys: 1 }))
    )
    if (retention) await this.requireObjectLock()
    // A multipart upload begun and aborted proves the right to write (and to set retention) without creating an
    // object: nothing appears in the bucket, whatever happens next.
    const created = await this.call('start an upload (s3:PutObject)', async () =>
      this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: this.location.bucket,
          Key: probeKey,
          ...lockParams(retention),
          ...(retention || this.onAws ? { ChecksumAlgorithm: 'SHA256' as const } : {})
        })
      )
    )
    try {
      await this.s3.send(
        new AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: probeKey, UploadId: created.UploadId })
      )
    } catch (error) {
      // A server without the call (s3rver) keeps the unfinished upload, which never becomes an object.
      if (!(error instanceof S3ServiceException && [405, 501].includes(error.$metadata.httpStatusCode ?? 0))) {
        throw this.failure('abort an upload (s3:AbortMultipartUpload)', error)
      }
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = []
    await this.call('list the bucket (s3:ListBucket)', async () => {
      for await (const page of paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.location.bucket, Prefix: prefix }
      )) {
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue
          objects.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? null, metadata: null })
        }
      }
    })
    return objects
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }))
      return {
        key,
        size: head.ContentLength ?? 0,
        lastModified: head.LastModified ?? null,
        metadata: head.Metadata ?? {}
      }
    } catch (error) {
      if (isNotFound(error)) return null
      throw this.failure('read an object (s3:GetObject)', error)
    }
  }

  async upload(file: string, key: string, options: Parameters<ObjectClient['upload']>[2]): Promise<void> {
    const upload = new Upload({
      client: this.s3,
      params: {
        Bucket: this.location.bucket,
        Key: key,
        Body: createReadStream(file, { highWaterMark: 1024 * 1024 }),
        ContentLength: options.size,
        ContentType: 'application/octet-stream',
        Metadata: options.metadata,
        ...lockParams(options.retention),
        ...(options.retention || this.onAws ? { ChecksumAlgorithm: 'SHA256' as const } : {})
      },
      partSize: options.partSize,
      queueSize: Math.max(1, options.parallel),
      // A failed upload is aborted, so its parts are neither billed nor left for anyone to complete.
      leavePartsOnError: false
    })
    upload.on('httpUploadProgress', p => options.onBytes(p.loaded ?? 0))
    const done = upload.done()
    try {
      await cancellation.race(done)
    } catch (error) {
      if (cancellation.reason !== null) {
        await upload.abort()
        await done.catch(() => undefined)
      }
      throw this.failure(`upload ${this.url(key)} (s3:PutObject)`, error)
    }
    if (options.retention) await this.ensureRetention(key, options.retention)
  }

  /**
   * Some S3-compatible servers (Ceph radosgw 16) accept the Object Lock headers of a multipart upload and silently
   * drop them: the completed object would be deletable. So the retention is read back, and set on the new version
   * when it is missing or shorter; a server that still does not show it fails the backup rather than claim it immutable.
   */
  private async ensureRetention(key: string, retention: Retention): Promise<void> {
    const held = async (): Promise<{ ok: boolean; versionId?: string }> => {
      const head = await this.call(`read ${this.url(key)} (s3:GetObject)`, async () =>
        this.s3.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }))
      )
      const mode = lockParams(retention).ObjectLockMode
      const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0
      // S3 keeps the date to the second.
      return {
        ok: head.ObjectLockMode === mode && until >= retention.until.getTime() - 1000,
        versionId: head.VersionId
      }
    }
    const first = await held()
    if (first.ok) return
    await this.call(`set the retention of ${this.url(key)} (s3:PutObjectRetention)`, async () =>
      this.s3.send(
        new PutObjectRetentionCommand({
          Bucket: this.location.bucket,
          Key: key,
          ...(first.versionId && first.versionId !== 'null' ? { VersionId: first.versionId } : {}),
          Retention: {
            Mode: lockParams(retention).ObjectLockMode,
            RetainUntilDate: retention.until
          }
        })
      )
    )
    if (!(await held()).ok) {
      throw new StorageError(
        `${this.url(key)} was stored, but the service does not show the ${retention.mode} retention until ` +
          `${retention.until.toISOString()} that '${Input.ImmutableDays}' asks for, even after setting it again: the ` +
          `backup is not immutable. Use a service that enforces S3 Object Lock, or remove '${Input.ImmutableDays}'.`
      )
    }
  }

  async download(key: string): Promise<Readable> {
    const got = await this.call(`read ${this.url(key)} (s3:GetObject)`, async () =>
      this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }))
    )
    if (!(got.Body instanceof Readable)) throw new StorageError(`The S3 service sent no body for ${this.url(key)}.`)
    return got.Body
  }

  async readSmall(key: string, maxBytes: number): Promise<string | null> {
    const head = await this.head(key)
    if (!head) return null
    if (head.size > maxBytes) {
      throw new StorageError(`${this.url(key)} is ${head.size} bytes, larger than a signature file can be: refused.`)
    }
    const got = await this.call(`read ${this.url(key)} (s3:GetObject)`, async () =>
      this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key, Range: `bytes=0-${maxBytes - 1}` }))
    )
    return (await got.Body?.transformToString('utf8')) ?? ''
  }

  async writeSmall(key: string, text: string, retention: Retention | null): Promise<void> {
    await this.call(`write ${this.url(key)} (s3:PutObject)`, async () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: key,
          Body: text,
          ContentType: 'text/plain',
          ...lockParams(retention),
          ...(retention || this.onAws ? { ChecksumAlgorithm: 'SHA256' as const } : {})
        })
      )
    )
  }

  async remove(key: string): Promise<'deleted' | 'locked' | 'absent'> {
    let head
    try {
      head = await this.s3.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }))
    } catch (error) {
      if (isNotFound(error)) return 'absent'
      throw this.failure('read an object (s3:GetObject)', error)
    }
    if (head.ObjectLockRetainUntilDate && head.ObjectLockRetainUntilDate.getTime() > Date.now()) return 'locked'
    if (head.ObjectLockLegalHoldStatus === 'ON') return 'locked'
    try {
      // On a versioned bucket (every Object Lock bucket) a delete without the version only hides the object.
      await this.s3.send(
        new DeleteObjectCommand({
          Bucket: this.location.bucket,
          Key: key,
          ...(head.VersionId && head.VersionId !== 'null' ? { VersionId: head.VersionId } : {})
        })
      )
      return 'deleted'
    } catch (error) {
      if (error instanceof S3ServiceException && /retention|lock|legal hold/i.test(error.message)) return 'locked'
      throw this.failure(`delete ${this.url(key)} (s3:DeleteObject)`, error)
    }
  }

  private async requireObjectLock(): Promise<void> {
    let enabled = false
    try {
      const got = await this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: this.location.bucket }))
      enabled = got.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
    } catch (error) {
      if (
        !(error instanceof S3ServiceException) ||
        !/ObjectLockConfigurationNotFound|NotImplemented/.test(error.name)
      ) {
        throw this.failure('read the Object Lock configuration (s3:GetBucketObjectLockConfiguration)', error)
      }
    }
    if (!enabled) {
      throw new StorageError(
        `Input '${Input.ImmutableDays}' asks for immutable backups, but bucket '${this.location.bucket}' has no Object Lock ` +
          `(or this service does not support it). Use a bucket created with Object Lock enabled (aws s3api create-bucket ` +
          `--object-lock-enabled-for-bucket), or remove '${Input.ImmutableDays}'.`
      )
    }
  }

  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    return await storeCall(work, error => describeS3Failure(action, error, this.location))
  }

  private failure(action: string, error: unknown): StorageError {
    return asStorageError(error, cause => describeS3Failure(action, cause, this.location))
  }
}

function lockParams(retention: Retention | null): {
  ObjectLockMode?: 'GOVERNANCE' | 'COMPLIANCE'
  ObjectLockRetainUntilDate?: Date
} {
  if (!retention) return {}
  return {
    ObjectLockMode: retention.mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE',
    ObjectLockRetainUntilDate: retention.until
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
  )
}
