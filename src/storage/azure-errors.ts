import { Input } from '../shared/io-names.js'

const CREDENTIAL_FIX =
  'Sign the job in with azure/login (OIDC federated credential, recommended), or give AZURE_STORAGE_CONNECTION_STRING ' +
  "as 'env:' from a secret. The identity needs the 'Storage Blob Data Contributor' role on the container."

/** The message for a failed Azure Blob call: what was tried, what the service said, the input at fault and the fix. */
export function describeAzureFailure(
  action: string,
  error: unknown,
  where: { container: string; endpoint: string }
): string {
  const e = error as { name?: string; code?: string; statusCode?: number; message?: string }
  const code = e.code ?? e.name ?? 'error'
  const status = e.statusCode
  const firstLine = (e.message ?? String(error)).split('\n')[0]
  const stem = `Could not ${action} in Azure container '${where.container}': ${code}${status ? ` (HTTP ${status})` : ''}: ${firstLine}.`
  if (e.name === 'CredentialUnavailableError' || e.name === 'AggregateAuthenticationError') {
    return `Could not ${action}: no Azure credentials were found. ${CREDENTIAL_FIX}`
  }
  if (code === 'ContainerNotFound') {
    return `${stem} Input '${Input.Bucket}' names no container in that account: create it, or fix '${Input.Bucket}' or '${Input.Endpoint}'.`
  }
  if (code === 'AuthenticationFailed' || e.name === 'AuthenticationRequiredError' || status === 401) {
    return `${stem} The credentials were refused. ${CREDENTIAL_FIX}`
  }
  if (
    /AuthorizationPermissionMismatch|AuthorizationFailure|InsufficientAccountPermissions/.test(code) ||
    status === 403
  ) {
    return `${stem} The identity lacks a permission (or the credentials were refused). ${CREDENTIAL_FIX}`
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    return `${stem} The account cannot be reached: check '${Input.Endpoint}' (the account URL, https://<account>.blob.core.windows.net) and the runner's network.`
  }
  return stem
}
