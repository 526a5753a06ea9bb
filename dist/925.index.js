export const id = 925;
export const ids = [925];
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

/***/ 67925:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ObjectStorage: () => (/* binding */ ObjectStorage)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: ./src/rotation/backup-time.ts
var backup_time = __webpack_require__(40574);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(58382);
// EXTERNAL MODULE: ./src/shared/progress.ts
var shared_progress = __webpack_require__(1378);
// EXTERNAL MODULE: ./src/shared/private-files.ts
var private_files = __webpack_require__(99412);
// EXTERNAL MODULE: ./src/shared/io-names.ts
var io_names = __webpack_require__(79920);
// EXTERNAL MODULE: ./src/signing/companion.ts
var companion = __webpack_require__(20005);
// EXTERNAL MODULE: ./src/storage/digest.ts
var digest = __webpack_require__(14257);
// EXTERNAL MODULE: ./src/storage/names.ts
var storage_names = __webpack_require__(62761);
// EXTERNAL MODULE: ./src/storage/object-client.ts
var object_client = __webpack_require__(1228);
;// CONCATENATED MODULE: ./src/storage/part-size.ts
const MIB = 1024 * 1024;
/** What each service allows a multipart upload: S3 (and the S3-compatible stores) and Azure block blobs. */
const PART_LIMITS = {
    s3: { maxParts: 10_000, minPart: 5 * MIB, maxPart: 5 * 1024 * MIB },
    azure: { maxParts: 50_000, minPart: 1, maxPart: 4000 * MIB }
};
/** The part size below which a file is cut into more parts than it needs; larger files get larger parts. */
const DEFAULT_PART_BYTES = 8 * MIB;
/**
 * The part (block) size for a file of `size` bytes: the default, or the smallest whole MiB that keeps the upload
 * within the service's part count. A fixed 5 MiB part fails near 49 GiB on S3. `floor` (tests) may ask for smaller
 * parts than the default, never for more parts than the service allows.
 */
function partSizeFor(size, limits, floor = DEFAULT_PART_BYTES) {
    const needed = Math.ceil(Math.ceil(size / limits.maxParts) / MIB) * MIB;
    const part = Math.max(floor, limits.minPart, needed);
    if (part > limits.maxPart) {
        throw new RangeError(`A backup of ${size} bytes needs parts of ${part} bytes, more than the ${limits.maxPart} the service allows.`);
    }
    return part;
}

// EXTERNAL MODULE: ./src/storage/staging.ts
var staging = __webpack_require__(55864);
;// CONCATENATED MODULE: ./src/storage/object-storage.ts

















/** Heads fetched at once while a prefix's candidates are dated (S3 lists no metadata). */
const HEAD_CONCURRENCY = 8;
/**
 * Backups as objects in an S3 bucket or Azure container, through an ObjectClient. The backup is written to a local
 * file first, then uploaded in parts under its final key, which exists only once the upload is complete. Each object
 * carries the backup's SHA-256 and time as metadata; fetch recomputes the digest while downloading and refuses a
 * mismatch. The signature companion '<key>.sig' is stored first, so a visible backup always has it.
 */
class ObjectStorage {
    client;
    options;
    now;
    kind;
    constructor(client, options, now = () => new Date()) {
        this.client = client;
        this.options = options;
        this.now = now;
        this.kind = options.kind;
    }
    async preflight(logger) {
        const probe = this.key(`.xlr-backup-preflight-${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`);
        await this.client.preflight(probe, this.retention());
        const lock = this.retention();
        logger.info(`Checked ${this.client.where}: reachable, credentials accepted, writing allowed` +
            (lock ? `, retention (${lock.mode}, ${this.options.immutableDays} days) can be set.` : '.'));
    }
    async stagingPath(fileName) {
        (0,storage_names/* checkBackupName */.Mg)(fileName);
        return await (0,staging/* createStagingFile */.Q)(this.options.stagingDir ?? (0,private_files/* currentRunFolder */.V1)() ?? external_node_os_.tmpdir(), fileName);
    }
    async publish(stagedFile, fileName, logger, written, signature) {
        (0,storage_names/* checkBackupName */.Mg)(fileName);
        const key = this.key(fileName);
        try {
            const { sha256, size } = written ?? (await (0,digest/* hashFile */.DC)(stagedFile));
            if (await this.client.head(key)) {
                throw new errors/* StorageError */.aq(`${this.client.url(key)} already exists and is never overwritten: give the backup another '${io_names/* Input */.p.Name}'.`);
            }
            const retention = this.retention();
            if (signature !== undefined)
                await this.client.writeSmall((0,companion/* companionName */.km)(key), signature, retention);
            const partSize = partSizeFor(size, PART_LIMITS[this.kind], this.options.minPartBytes);
            const progress = new shared_progress/* Progress */.ke(`Uploaded ${fileName}`, size, logger);
            let reported = 0;
            await this.client.upload(stagedFile, key, {
                size,
                sha256,
                metadata: { [object_client/* META_SHA256 */.AM]: sha256, [object_client/* META_CREATED_AT */.nT]: written?.createdAt ?? this.now().toISOString() },
                retention,
                partSize,
                parallel: this.options.parallel,
                onBytes: sent => {
                    if (sent > reported)
                        progress.add(sent - reported);
                    reported = Math.max(reported, sent);
                }
            });
            progress.finish();
            const url = this.client.url(key);
            logger.info(`Stored ${url} (${size} bytes in parts of ${partSize}, sha256 ${sha256})` +
                (retention ? `, under ${retention.mode} retention until ${retention.until.toISOString()}.` : '.'));
            return { name: fileName, location: url, size, sha256, objectUrl: url };
        }
        finally {
            await (0,promises_.rm)(stagedFile, { force: true });
        }
    }
    async discard(stagedFile) {
        await (0,promises_.rm)(stagedFile, { force: true });
    }
    async find(query, logger) {
        const stem = 'name' in query ? query.name : query.prefix;
        const listed = (await this.backups(stem)).filter(o => 'name' in query ? (0,storage_names/* isExactMatch */.nh)(this.nameOf(o), query.name) : true);
        if (listed.length === 0)
            throw this.notFound(query, await this.backups(stem.slice(0, Math.max(1, stem.length - 8))));
        if ('name' in query && listed.length > 1) {
            throw new errors/* StorageError */.aq(`Several backups in ${this.client.where} match name '${query.name}': ${(0,storage_names/* listNames */.Zv)(listed.map(o => this.nameOf(o)))}. ` +
                `Set '${io_names/* Input */.p.Name}' to the full file name of the one to use.`);
        }
        const dated = await this.withMetadata(listed);
        // Newest by the backup's own time (kept in its metadata), not by listing order or upload time; then the name.
        // A time claimed after the upload is not believed: the upload time ranks that object instead.
        const now = this.now().getTime();
        const ranked = dated.map(o => ({ o, rank: (0,backup_time/* rankingTime */.iq)(this.found(o), now) ?? 0 }));
        ranked.sort((a, b) => b.rank - a.rank || (a.o.key < b.o.key ? 1 : a.o.key > b.o.key ? -1 : 0));
        const chosen = ranked[0].o;
        if ('prefix' in query) {
            logger.info(`Newest backup starting with '${query.prefix}' in ${this.client.where}: ${this.nameOf(chosen)} (of ${dated.length})`);
        }
        return this.found(chosen);
    }
    async list(prefix) {
        return (await this.withMetadata(await this.backups(prefix))).map(o => this.found(o));
    }
    async remove(found, logger) {
        const outcome = await this.client.remove(found.ref);
        if (outcome === 'locked')
            return 'locked';
        await this.client.remove((0,companion/* companionName */.km)(found.ref));
        logger.info(`Deleted ${this.client.url(found.ref)}${outcome === 'absent' ? ' (it was already gone)' : ''}.`);
        return 'deleted';
    }
    async fetch(found, destDir, logger) {
        const dest = external_node_path_.join(destDir, found.name);
        const hash = (0,external_node_crypto_.createHash)('sha256');
        const progress = new shared_progress/* Progress */.ke(`Downloaded ${found.name}`, found.size, logger);
        let size = 0;
        const tap = new external_node_stream_.Transform({
            transform(chunk, _encoding, callback) {
                hash.update(chunk);
                size += chunk.length;
                progress.add(chunk.length);
                callback(null, chunk);
            }
        });
        try {
            const body = await this.client.download(found.ref);
            await (0,external_node_stream_promises_.pipeline)(body, tap, await (0,private_files/* createPrivateWriteStream */.ze)(dest));
        }
        catch (error) {
            await (0,promises_.rm)(dest, { force: true });
            if (error instanceof errors/* StorageError */.aq)
                throw error;
            throw new errors/* StorageError */.aq(`Downloading ${this.client.url(found.ref)} failed: ${error.message}`, {
                cause: error
            });
        }
        progress.finish();
        const sha256 = hash.digest('hex');
        if (found.sha256 === null) {
            logger.warning(`${this.client.url(found.ref)} carries no '${object_client/* META_SHA256 */.AM}' metadata, so its bytes cannot be checked as a whole ` +
                `(the archive's own checks still run). SHA-256 of the download: ${sha256}.`);
        }
        else if (sha256 !== found.sha256) {
            await (0,promises_.rm)(dest, { force: true });
            throw new errors/* IntegrityError */.cs(`Backup ${this.client.url(found.ref)} does not match its digest: expected sha256 ${found.sha256}, downloaded ` +
                `${sha256}. The stored object is damaged or was changed after it was written; restore refused. Pick another backup with '${io_names/* Input */.p.Name}'.`);
        }
        logger.info(`Downloaded ${found.name} (${size} bytes, sha256 matches the one stored with it).`);
        return dest;
    }
    async fetchSignature(found) {
        return await this.client.readSmall((0,companion/* companionName */.km)(found.ref), companion/* MAX_COMPANION_BYTES */.iy);
    }
    retention() {
        const days = this.options.immutableDays;
        if (days === null)
            return null;
        return { mode: this.options.immutableMode, until: new Date(this.now().getTime() + days * 86_400_000) };
    }
    key(name) {
        return this.options.prefix ? `${this.options.prefix}/${name}` : name;
    }
    nameOf(object) {
        return object.key.slice(this.options.prefix ? this.options.prefix.length + 1 : 0);
    }
    /** The backups (not companions, not other "folders" below the prefix) whose names start with `stem`. */
    async backups(stem) {
        const objects = await this.client.list(this.key(stem));
        return objects.filter(o => {
            const name = this.nameOf(o);
            return !name.includes('/') && !name.startsWith('.') && !(0,companion/* isCompanionName */._f)(name) && isBackupName(name);
        });
    }
    async withMetadata(objects) {
        const out = [];
        for (let i = 0; i < objects.length; i += HEAD_CONCURRENCY) {
            const batch = objects.slice(i, i + HEAD_CONCURRENCY);
            out.push(...(await Promise.all(batch.map(async (o) => (o.metadata ? o : ((await this.client.head(o.key)) ?? o))))));
        }
        return out;
    }
    found(object) {
        const sha = object.metadata?.[object_client/* META_SHA256 */.AM];
        const created = createdAtOf(object);
        return {
            name: this.nameOf(object),
            ref: object.key,
            size: object.size,
            sha256: sha && /^[0-9a-f]{64}$/.test(sha) ? sha : null,
            createdAt: created === null ? null : new Date(created).toISOString(),
            storedAt: object.lastModified ? object.lastModified.toISOString() : null
        };
    }
    notFound(query, near) {
        const names = near.map(o => this.nameOf(o)).reverse();
        const hint = names.length > 0 ? ` Similar names there: ${(0,storage_names/* listNames */.Zv)(names)}.` : '';
        return new errors/* StorageError */.aq(`No backup found in ${this.client.where}: looked for ${(0,storage_names/* describeQuery */.Qp)(query)}.${hint}`);
    }
}
/** The backup's own time from its metadata, else when the store wrote it; null when neither can be read. */
function createdAtOf(object) {
    const own = Date.parse(object.metadata?.[object_client/* META_CREATED_AT */.nT] ?? '');
    if (Number.isFinite(own))
        return own;
    return object.lastModified ? object.lastModified.getTime() : null;
}
/** A name the backup writer gives (checked as a backup name: no path separators, no control characters). */
function isBackupName(name) {
    try {
        (0,storage_names/* checkBackupName */.Mg)(name);
        return true;
    }
    catch {
        return false;
    }
}


/***/ })

};
