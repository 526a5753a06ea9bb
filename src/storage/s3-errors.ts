import { Input } from '../shared/io-names.js'

interface Where {
  bucket: string
  endpoint: string
  region: string
}

const CREDENTIAL_FIX =
  'Give the job AWS credentials through the standard chain: aws-actions/configure-aws-credentials with an OIDC role ' +
  "(recommended), an instance profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY as 'env:' from secrets."

/**
 * The message for a failed S3 call: what was tried, what the service said (its code, never a credential), which
 * input or setting is at fault, and the fix.
 */
export function describeS3Failure(action: string, error: unknown, where: Where): string {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const name = e.name ?? ''
  const status = e.$metadata?.httpStatusCode
  const said = `${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`
  const stem = `Could not ${action} in bucket '${where.bucket}' at ${endpointText(where)}: ${said}.`
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
    return `Could not ${action}: no AWS credentials were found. ${CREDENTIAL_FIX}`
  }
  if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|TokenRefreshRequired)$/.test(name)) {
    return `${stem} The credentials were refused. ${CREDENTIAL_FIX}`
  }
  if (name === 'NoSuchBucket' || (status === 404 && /bucket/i.test(action))) {
    return `${stem} Input '${Input.Bucket}' names no bucket there: create it, or fix '${Input.Bucket}'${where.endpoint ? ` or '${Input.Endpoint}'` : ` or '${Input.Region}'`}.`
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return `${stem} The bucket lives in another region: set '${Input.Region}' to the bucket's region.`
  }
  if (name === 'AccessDenied' || status === 403) {
    return (
      `${stem} The credentials lack a permission (or were refused): grant s3:ListBucket on the bucket and s3:PutObject, ` +
      `s3:GetObject, s3:AbortMultipartUpload on its objects (s3:DeleteObject for rotation, s3:PutObjectRetention for ` +
      `'${Input.ImmutableDays}'), or check the credentials. ${CREDENTIAL_FIX}`
    )
  }
  if (isNetworkFailure(error)) {
    return `${stem} The endpoint cannot be reached: check '${Input.Endpoint}'${where.endpoint ? '' : ` (empty = AWS) and '${Input.Region}'`} and the runner's network.`
  }
  return stem
}

function endpointText(where: Where): string {
  return where.endpoint || `AWS (region ${where.region})`
}

const NETWORK_CODES = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/

function isNetworkFailure(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string; cause?: unknown; errors?: unknown[] }
  if (NETWORK_CODES.test(e.code ?? '') || NETWORK_CODES.test(e.message ?? '')) return true
  if (e.name === 'TimeoutError') return true
  if (e.errors?.some(isNetworkFailure)) return true
  return e.cause !== undefined && e.cause !== error && isNetworkFailure(e.cause)
}
