export const id = 987;
export const ids = [987];
export const modules = {

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


/***/ }),

/***/ 3987:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  S3ObjectClient: () => (/* binding */ S3ObjectClient)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-s3/dist-cjs/index.js
var dist_cjs = __webpack_require__(53711);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/lib-storage/dist-cjs/index.js
var lib_storage_dist_cjs = __webpack_require__(22358);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(58382);
// EXTERNAL MODULE: ./src/shared/io-names.ts
var io_names = __webpack_require__(79920);
// EXTERNAL MODULE: ./src/lifecycle/cancel.ts
var cancel = __webpack_require__(58740);
// EXTERNAL MODULE: ./src/storage/object-client.ts
var object_client = __webpack_require__(1228);
;// CONCATENATED MODULE: ./src/storage/s3-errors.ts

const CREDENTIAL_FIX = 'Give the job AWS credentials through the standard chain: aws-actions/configure-aws-credentials with an OIDC role ' +
    "(recommended), an instance profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY as 'env:' from secrets.";
/**
 * The message for a failed S3 call: what was tried, what the service said (its code, never a credential), which
 * input or setting is at fault, and the fix.
 */
function describeS3Failure(action, error, where) {
    const e = error;
    const name = e.name ?? '';
    const status = e.$metadata?.httpStatusCode;
    const said = `${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`;
    const stem = `Could not ${action} in bucket '${where.bucket}' at ${endpointText(where)}: ${said}.`;
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
        return `Could not ${action}: no AWS credentials were found. ${CREDENTIAL_FIX}`;
    }
    if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|TokenRefreshRequired)$/.test(name)) {
        return `${stem} The credentials were refused. ${CREDENTIAL_FIX}`;
    }
    if (name === 'NoSuchBucket' || (status === 404 && /bucket/i.test(action))) {
        return `${stem} Input '${io_names/* Input */.p.Bucket}' names no bucket there: create it, or fix '${io_names/* Input */.p.Bucket}'${where.endpoint ? ` or '${io_names/* Input */.p.Endpoint}'` : ` or '${io_names/* Input */.p.Region}'`}.`;
    }
    if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
        return `${stem} The bucket lives in another region: set '${io_names/* Input */.p.Region}' to the bucket's region.`;
    }
    if (name === 'AccessDenied' || status === 403) {
        return (`${stem} The credentials lack a permission (or were refused): grant s3:ListBucket on the bucket and s3:PutObject, ` +
            `s3:GetObject, s3:AbortMultipartUpload on its objects (s3:DeleteObject for rotation, s3:PutObjectRetention for ` +
            `'${io_names/* Input */.p.ImmutableDays}'), or check the credentials. ${CREDENTIAL_FIX}`);
    }
    if (isNetworkFailure(error)) {
        return `${stem} The endpoint cannot be reached: check '${io_names/* Input */.p.Endpoint}'${where.endpoint ? '' : ` (empty = AWS) and '${io_names/* Input */.p.Region}'`} and the runner's network.`;
    }
    return stem;
}
function endpointText(where) {
    return where.endpoint || `AWS (region ${where.region})`;
}
const NETWORK_CODES = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/;
function isNetworkFailure(error) {
    const e = error;
    if (NETWORK_CODES.test(e.code ?? '') || NETWORK_CODES.test(e.message ?? ''))
        return true;
    if (e.name === 'TimeoutError')
        return true;
    if (e.errors?.some(isNetworkFailure))
        return true;
    return e.cause !== undefined && e.cause !== error && isNetworkFailure(e.cause);
}

;// CONCATENATED MODULE: ./src/storage/s3.ts









/**
 * S3 and S3-compatible stores through the AWS SDK v3. Credentials come only from the SDK's default chain (the
 * environment that aws-actions/configure-aws-credentials sets up, a web identity token, an instance profile).
 * On AWS every part carries a SHA-256 checksum the service verifies; other endpoints get only the checksums an
 * operation requires, as several S3-compatible stores refuse the SDK's default ones.
 */
class S3ObjectClient {
    location;
    where;
    s3;
    onAws;
    constructor(location, config = {}) {
        this.location = location;
        this.where = `s3://${location.bucket}`;
        this.onAws = location.endpoint === '';
        this.s3 = new dist_cjs.S3Client({
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
        });
    }
    url(key) {
        return `s3://${this.location.bucket}/${key}`;
    }
    async preflight(probeKey, retention) {
        // A listing, not HeadBucket: a HEAD answer has no body, so a refusal could not tell bad credentials from a
        // missing permission.
        await this.call('list the bucket (s3:ListBucket)', async () => this.s3.send(new dist_cjs.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: probeKey, MaxKeys: 1 })));
        if (retention)
            await this.requireObjectLock();
        // A multipart upload begun and aborted proves the right to write (and to set retention) without creating an
        // object: nothing appears in the bucket, whatever happens next.
        const created = await this.call('start an upload (s3:PutObject)', async () => this.s3.send(new dist_cjs.CreateMultipartUploadCommand({
            Bucket: this.location.bucket,
            Key: probeKey,
            ...lockParams(retention),
            ...(retention || this.onAws ? { ChecksumAlgorithm: 'SHA256' } : {})
        })));
        try {
            await this.s3.send(new dist_cjs.AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: probeKey, UploadId: created.UploadId }));
        }
        catch (error) {
            // A server without the call (s3rver) keeps the unfinished upload, which never becomes an object.
            if (!(error instanceof dist_cjs.S3ServiceException && [405, 501].includes(error.$metadata.httpStatusCode ?? 0))) {
                throw this.failure('abort an upload (s3:AbortMultipartUpload)', error);
            }
        }
    }
    async list(prefix) {
        const objects = [];
        await this.call('list the bucket (s3:ListBucket)', async () => {
            for await (const page of (0,dist_cjs.paginateListObjectsV2)({ client: this.s3 }, { Bucket: this.location.bucket, Prefix: prefix })) {
                for (const item of page.Contents ?? []) {
                    if (item.Key === undefined)
                        continue;
                    objects.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? null, metadata: null });
                }
            }
        });
        return objects;
    }
    async head(key) {
        try {
            const head = await this.s3.send(new dist_cjs.HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
            return {
                key,
                size: head.ContentLength ?? 0,
                lastModified: head.LastModified ?? null,
                metadata: head.Metadata ?? {}
            };
        }
        catch (error) {
            if (isNotFound(error))
                return null;
            throw this.failure('read an object (s3:GetObject)', error);
        }
    }
    async upload(file, key, options) {
        const upload = new lib_storage_dist_cjs/* Upload */._({
            client: this.s3,
            params: {
                Bucket: this.location.bucket,
                Key: key,
                Body: (0,external_node_fs_.createReadStream)(file, { highWaterMark: 1024 * 1024 }),
                ContentLength: options.size,
                ContentType: 'application/octet-stream',
                Metadata: options.metadata,
                ...lockParams(options.retention),
                ...(options.retention || this.onAws ? { ChecksumAlgorithm: 'SHA256' } : {})
            },
            partSize: options.partSize,
            queueSize: Math.max(1, options.parallel),
            // A failed upload is aborted, so its parts are neither billed nor left for anyone to complete.
            leavePartsOnError: false
        });
        upload.on('httpUploadProgress', p => options.onBytes(p.loaded ?? 0));
        const done = upload.done();
        try {
            await cancel/* cancellation */.WN.race(done);
        }
        catch (error) {
            if (cancel/* cancellation */.WN.reason !== null) {
                await upload.abort();
                await done.catch(() => undefined);
            }
            throw this.failure(`upload ${this.url(key)} (s3:PutObject)`, error);
        }
        if (options.retention)
            await this.ensureRetention(key, options.retention);
    }
    /**
     * Some S3-compatible servers (Ceph radosgw 16) accept the Object Lock headers of a multipart upload and silently
     * drop them: the completed object would be deletable. So the retention is read back, and set on the new version
     * when it is missing or shorter; a server that still does not show it fails the backup rather than claim it immutable.
     */
    async ensureRetention(key, retention) {
        const held = async () => {
            const head = await this.call(`read ${this.url(key)} (s3:GetObject)`, async () => this.s3.send(new dist_cjs.HeadObjectCommand({ Bucket: this.location.bucket, Key: key })));
            const mode = lockParams(retention).ObjectLockMode;
            const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0;
            // S3 keeps the date to the second.
            return {
                ok: head.ObjectLockMode === mode && until >= retention.until.getTime() - 1000,
                versionId: head.VersionId
            };
        };
        const first = await held();
        if (first.ok)
            return;
        await this.call(`set the retention of ${this.url(key)} (s3:PutObjectRetention)`, async () => this.s3.send(new dist_cjs.PutObjectRetentionCommand({
            Bucket: this.location.bucket,
            Key: key,
            ...(first.versionId && first.versionId !== 'null' ? { VersionId: first.versionId } : {}),
            Retention: {
                Mode: lockParams(retention).ObjectLockMode,
                RetainUntilDate: retention.until
            }
        })));
        if (!(await held()).ok) {
            throw new errors/* StorageError */.aq(`${this.url(key)} was stored, but the service does not show the ${retention.mode} retention until ` +
                `${retention.until.toISOString()} that '${io_names/* Input */.p.ImmutableDays}' asks for, even after setting it again: the ` +
                `backup is not immutable. Use a service that enforces S3 Object Lock, or remove '${io_names/* Input */.p.ImmutableDays}'.`);
        }
    }
    async download(key) {
        const got = await this.call(`read ${this.url(key)} (s3:GetObject)`, async () => this.s3.send(new dist_cjs.GetObjectCommand({ Bucket: this.location.bucket, Key: key })));
        if (!(got.Body instanceof external_node_stream_.Readable))
            throw new errors/* StorageError */.aq(`The S3 service sent no body for ${this.url(key)}.`);
        return got.Body;
    }
    async readSmall(key, maxBytes) {
        const head = await this.head(key);
        if (!head)
            return null;
        if (head.size > maxBytes) {
            throw new errors/* StorageError */.aq(`${this.url(key)} is ${head.size} bytes, larger than a signature file can be: refused.`);
        }
        const got = await this.call(`read ${this.url(key)} (s3:GetObject)`, async () => this.s3.send(new dist_cjs.GetObjectCommand({ Bucket: this.location.bucket, Key: key, Range: `bytes=0-${maxBytes - 1}` })));
        return (await got.Body?.transformToString('utf8')) ?? '';
    }
    async writeSmall(key, text, retention) {
        await this.call(`write ${this.url(key)} (s3:PutObject)`, async () => this.s3.send(new dist_cjs.PutObjectCommand({
            Bucket: this.location.bucket,
            Key: key,
            Body: text,
            ContentType: 'text/plain',
            ...lockParams(retention),
            ...(retention || this.onAws ? { ChecksumAlgorithm: 'SHA256' } : {})
        })));
    }
    async remove(key) {
        let head;
        try {
            head = await this.s3.send(new dist_cjs.HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
        }
        catch (error) {
            if (isNotFound(error))
                return 'absent';
            throw this.failure('read an object (s3:GetObject)', error);
        }
        if (head.ObjectLockRetainUntilDate && head.ObjectLockRetainUntilDate.getTime() > Date.now())
            return 'locked';
        if (head.ObjectLockLegalHoldStatus === 'ON')
            return 'locked';
        try {
            // On a versioned bucket (every Object Lock bucket) a delete without the version only hides the object.
            await this.s3.send(new dist_cjs.DeleteObjectCommand({
                Bucket: this.location.bucket,
                Key: key,
                ...(head.VersionId && head.VersionId !== 'null' ? { VersionId: head.VersionId } : {})
            }));
            return 'deleted';
        }
        catch (error) {
            if (error instanceof dist_cjs.S3ServiceException && /retention|lock|legal hold/i.test(error.message))
                return 'locked';
            throw this.failure(`delete ${this.url(key)} (s3:DeleteObject)`, error);
        }
    }
    async requireObjectLock() {
        let enabled = false;
        try {
            const got = await this.s3.send(new dist_cjs.GetObjectLockConfigurationCommand({ Bucket: this.location.bucket }));
            enabled = got.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
        }
        catch (error) {
            if (!(error instanceof dist_cjs.S3ServiceException) ||
                !/ObjectLockConfigurationNotFound|NotImplemented/.test(error.name)) {
                throw this.failure('read the Object Lock configuration (s3:GetBucketObjectLockConfiguration)', error);
            }
        }
        if (!enabled) {
            throw new errors/* StorageError */.aq(`Input '${io_names/* Input */.p.ImmutableDays}' asks for immutable backups, but bucket '${this.location.bucket}' has no Object Lock ` +
                `(or this service does not support it). Use a bucket created with Object Lock enabled (aws s3api create-bucket ` +
                `--object-lock-enabled-for-bucket), or remove '${io_names/* Input */.p.ImmutableDays}'.`);
        }
    }
    async call(action, work) {
        return await (0,object_client/* storeCall */.ES)(work, error => describeS3Failure(action, error, this.location));
    }
    failure(action, error) {
        return (0,object_client/* asStorageError */.sj)(error, cause => describeS3Failure(action, cause, this.location));
    }
}
function lockParams(retention) {
    if (!retention)
        return {};
    return {
        ObjectLockMode: retention.mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE',
        ObjectLockRetainUntilDate: retention.until
    };
}
function isNotFound(error) {
    return (error instanceof dist_cjs.S3ServiceException &&
        (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404));
}


/***/ })

};
