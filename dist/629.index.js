export const id = 629;
export const ids = [629];
export const modules = {

/***/ 63629:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  AzureObjectClient: () => (/* binding */ AzureObjectClient)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: ./node_modules/@azure/identity/dist/esm/index.js + 165 modules
var esm = __webpack_require__(73016);
// EXTERNAL MODULE: ./node_modules/@azure/storage-blob/dist/esm/index.js + 57 modules
var dist_esm = __webpack_require__(42244);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(58382);
// EXTERNAL MODULE: ./src/shared/io-names.ts
var io_names = __webpack_require__(79920);
// EXTERNAL MODULE: ./src/lifecycle/cancel.ts
var cancel = __webpack_require__(58740);
// EXTERNAL MODULE: ./src/storage/object-client.ts
var object_client = __webpack_require__(1228);
;// CONCATENATED MODULE: ./src/storage/azure-errors.ts

const CREDENTIAL_FIX = 'Sign the job in with azure/login (OIDC federated credential, recommended), or give AZURE_STORAGE_CONNECTION_STRING ' +
    "as 'env:' from a secret. The identity needs the 'Storage Blob Data Contributor' role on the container.";
/** The message for a failed Azure Blob call: what was tried, what the service said, the input at fault and the fix. */
function describeAzureFailure(action, error, where) {
    const e = error;
    const code = e.code ?? e.name ?? 'error';
    const status = e.statusCode;
    const firstLine = (e.message ?? String(error)).split('\n')[0];
    const stem = `Could not ${action} in Azure container '${where.container}': ${code}${status ? ` (HTTP ${status})` : ''}: ${firstLine}.`;
    if (e.name === 'CredentialUnavailableError' || e.name === 'AggregateAuthenticationError') {
        return `Could not ${action}: no Azure credentials were found. ${CREDENTIAL_FIX}`;
    }
    if (code === 'ContainerNotFound') {
        return `${stem} Input '${io_names/* Input */.p.Bucket}' names no container in that account: create it, or fix '${io_names/* Input */.p.Bucket}' or '${io_names/* Input */.p.Endpoint}'.`;
    }
    if (code === 'AuthenticationFailed' || e.name === 'AuthenticationRequiredError' || status === 401) {
        return `${stem} The credentials were refused. ${CREDENTIAL_FIX}`;
    }
    if (/AuthorizationPermissionMismatch|AuthorizationFailure|InsufficientAccountPermissions/.test(code) ||
        status === 403) {
        return `${stem} The identity lacks a permission (or the credentials were refused). ${CREDENTIAL_FIX}`;
    }
    if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
        return `${stem} The account cannot be reached: check '${io_names/* Input */.p.Endpoint}' (the account URL, https://<account>.blob.core.windows.net) and the runner's network.`;
    }
    return stem;
}

;// CONCATENATED MODULE: ./src/storage/azure.ts








/**
 * Azure Blob Storage through @azure/storage-blob: AZURE_STORAGE_CONNECTION_STRING when the environment has it, else
 * DefaultAzureCredential against the account URL in 'endpoint' (what azure/login with OIDC sets up). A backup is
 * a block blob whose blocks are staged in parallel and committed in one call, with its metadata and immutability
 * policy: before the commit no blob of that name exists, after it the blob is whole and locked.
 */
class AzureObjectClient {
    location;
    where;
    container;
    constructor(location, env = process.env, pipeline = {}) {
        this.location = location;
        const connection = env.AZURE_STORAGE_CONNECTION_STRING;
        const service = connection
            ? dist_esm/* BlobServiceClient */.wS.fromConnectionString(connection, pipeline)
            : new dist_esm/* BlobServiceClient */.wS(location.endpoint, new esm/* DefaultAzureCredential */.gv(), pipeline);
        this.container = service.getContainerClient(location.container);
        this.where = this.container.url;
    }
    url(key) {
        return this.container.getBlobClient(key).url;
    }
    async preflight(probeKey, retention) {
        const props = await this.call('read the container', async () => this.container.getProperties());
        if (retention && !props.isImmutableStorageWithVersioningEnabled) {
            throw new errors/* StorageError */.aq(`Input '${io_names/* Input */.p.ImmutableDays}' asks for immutable backups, but container '${this.location.container}' does not ` +
                `have version-level immutability support. Create the container with it enabled (az storage container-rm ` +
                `create --enable-vlw, on an account with versioning), or remove '${io_names/* Input */.p.ImmutableDays}'.`);
        }
        // A staged, never committed block proves the right to write without creating a blob (the service drops
        // uncommitted blocks after a week; nothing lists them as a blob).
        await this.call('write a block (Storage Blob Data Contributor)', async () => this.container.getBlockBlobClient(probeKey).stageBlock(blockId(0), Buffer.alloc(1), 1));
    }
    async list(prefix) {
        const objects = [];
        await this.call('list the container', async () => {
            for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
                objects.push({
                    key: blob.name,
                    size: blob.properties.contentLength ?? 0,
                    lastModified: blob.properties.lastModified ?? null,
                    metadata: blob.metadata ?? {}
                });
            }
        });
        return objects;
    }
    async head(key) {
        try {
            const props = await this.container.getBlobClient(key).getProperties();
            return {
                key,
                size: props.contentLength ?? 0,
                lastModified: props.lastModified ?? null,
                metadata: props.metadata ?? {}
            };
        }
        catch (error) {
            if (error instanceof dist_esm/* RestError */.pj && error.statusCode === 404)
                return null;
            throw this.failure(`read ${this.url(key)}`, error);
        }
    }
    async upload(file, key, options) {
        const blob = this.container.getBlockBlobClient(key);
        const count = Math.ceil(options.size / options.partSize);
        const ids = Array.from({ length: count }, (_, i) => blockId(i));
        const sent = new Array(count).fill(0);
        const abort = new AbortController();
        let next = 0;
        const worker = async () => {
            while (next < count) {
                const index = next++;
                const start = index * options.partSize;
                const length = Math.min(options.partSize, options.size - start);
                await blob.stageBlock(ids[index], () => (0,external_node_fs_.createReadStream)(file, { start, end: start + length - 1 }), length, {
                    abortSignal: abort.signal,
                    onProgress: p => {
                        sent[index] = p.loadedBytes;
                        options.onBytes(sent.reduce((a, b) => a + b, 0));
                    }
                });
            }
        };
        const work = (async () => {
            await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, count)) }, worker));
            await blob.commitBlockList(ids, {
                abortSignal: abort.signal,
                metadata: options.metadata,
                blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
                ...immutability(options.retention)
            });
        })();
        try {
            await cancel/* cancellation */.WN.race(work);
        }
        catch (error) {
            abort.abort();
            await work.catch(() => undefined);
            throw this.failure(`upload ${this.url(key)}`, error);
        }
    }
    async download(key) {
        const got = await this.call(`read ${this.url(key)}`, async () => this.container.getBlobClient(key).download(0, undefined, { maxRetryRequests: 5 }));
        if (!got.readableStreamBody)
            throw new errors/* StorageError */.aq(`Azure sent no body for ${this.url(key)}.`);
        return got.readableStreamBody;
    }
    async readSmall(key, maxBytes) {
        const head = await this.head(key);
        if (!head)
            return null;
        if (head.size > maxBytes) {
            throw new errors/* StorageError */.aq(`${this.url(key)} is ${head.size} bytes, larger than a signature file can be: refused.`);
        }
        const buffer = await this.call(`read ${this.url(key)}`, async () => this.container.getBlobClient(key).downloadToBuffer(0, head.size));
        return buffer.toString('utf8');
    }
    async writeSmall(key, text, retention) {
        const body = Buffer.from(text, 'utf8');
        await this.call(`write ${this.url(key)}`, async () => this.container.getBlockBlobClient(key).upload(body, body.length, {
            blobHTTPHeaders: { blobContentType: 'text/plain' },
            ...immutability(retention)
        }));
    }
    async remove(key) {
        try {
            await this.container.getBlobClient(key).delete();
            return 'deleted';
        }
        catch (error) {
            if (error instanceof dist_esm/* RestError */.pj && error.statusCode === 404)
                return 'absent';
            if (error instanceof dist_esm/* RestError */.pj && /Immutab|LegalHold/i.test(String(error.code)))
                return 'locked';
            throw this.failure(`delete ${this.url(key)}`, error);
        }
    }
    async call(action, work) {
        return await (0,object_client/* storeCall */.ES)(work, error => describeAzureFailure(action, error, this.location));
    }
    failure(action, error) {
        return (0,object_client/* asStorageError */.sj)(error, cause => describeAzureFailure(action, cause, this.location));
    }
}
/** Block ids must be base64 and of one length within a blob. */
function blockId(index) {
    return Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64');
}
function immutability(retention) {
    if (!retention)
        return {};
    return {
        immutabilityPolicy: {
            expiriesOn: retention.until,
            policyMode: retention.mode === 'compliance' ? 'Locked' : 'Unlocked'
        }
    };
}


/***/ }),

/***/ 1228:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AM: () => (/* binding */ META_SHA256),
/* harmony export */   ES: () => (/* binding */ storeCall),
/* harmony export */   nT: () => (/* binding */ META_CREATED_AT),
/* harmony export */   sj: () => (/* binding */ asStorageError)
/* harmony export */ });
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(58382);

/** The metadata keys the action keeps on every object: valid as S3 user metadata and as Azure metadata names. */
const META_SHA256 = 'sha256';
const META_CREATED_AT = 'createdat';
/** What a store's client threw, as a StorageError worded by `describe`; one already worded passes as it is. */
function asStorageError(error, describe) {
    return error instanceof _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .StorageError */ .aq ? error : new _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .StorageError */ .aq(describe(error), { cause: error });
}
/** Runs one call to a store, turning what it throws into a StorageError worded by `describe`. */
async function storeCall(work, describe) {
    try {
        return await work();
    }
    catch (error) {
        throw asStorageError(error, describe);
    }
}


/***/ })

};
