export const id = 35;
export const ids = [35];
export const modules = {

/***/ 75035:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CacheStorage: () => (/* binding */ CacheStorage)
/* harmony export */ });
/* unused harmony exports CACHE_KEY_PREFIX, CACHE_FOLDER */
/* harmony import */ var _actions_cache__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(18091);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(58382);
/* harmony import */ var _shared_private_files_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(99412);
/* harmony import */ var _digest_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(14257);
/* harmony import */ var _names_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(62761);
/* harmony import */ var _companion_file_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(35258);
/* harmony import */ var _staging_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(55864);
/* harmony import */ var _signing_companion_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(20005);
/* harmony import */ var _shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(79920);











const CACHE_KEY_PREFIX = 'xlr-backup-';
/**
 * The folder the cache entry holds, given to @actions/cache as a relative path. The client folds the path strings
 * into the entry's "version" and stores tar entries relative to the workspace: a fixed relative path therefore
 * matches on every runner, whatever its workspace folder is called.
 */
const CACHE_FOLDER = '.xlr-backup-cache';
const SIDECAR = '.sha256';
/**
 * Backups in the Actions cache, one entry per backup under key `xlr-backup-<name>`: a tar of a folder holding the
 * backup file and its `.sha256`. Good for handing a backup to another job or workflow, and on GitHub Enterprise
 * Server; not for keeping backups (entries unused for 7 days are evicted, 10 GB per repository).
 */
class CacheStorage {
    env;
    processEnv;
    kind = 'cache';
    folder;
    /** The key whose entry fetchSignature left in the folder for fetch (one download for both). */
    restored = null;
    constructor(env, processEnv = process.env) {
        this.env = env;
        this.processEnv = processEnv;
        this.folder = node_path__WEBPACK_IMPORTED_MODULE_2__.join(env.workspace, CACHE_FOLDER);
    }
    async stagingPath(fileName) {
        checkCacheName(fileName);
        this.requireRuntime();
        await this.freshFolder();
        return await (0,_staging_js__WEBPACK_IMPORTED_MODULE_8__/* .createStagingFile */ .Q)(this.folder, fileName);
    }
    async publish(stagedFile, fileName, logger, _written, signature) {
        checkCacheName(fileName);
        const key = CACHE_KEY_PREFIX + fileName;
        try {
            if (await this.lookup(key, [])) {
                throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`A cache entry '${key}' already exists and cache entries cannot be replaced: give the backup another '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Name}'.`);
            }
            const { sha256, size } = await (0,_digest_js__WEBPACK_IMPORTED_MODULE_5__/* .hashFile */ .DC)(stagedFile);
            const file = node_path__WEBPACK_IMPORTED_MODULE_2__.join(this.folder, fileName);
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rename)(stagedFile, file);
            await (0,_shared_private_files_js__WEBPACK_IMPORTED_MODULE_4__/* .writePrivateFile */ .Pl)(file + SIDECAR, (0,_digest_js__WEBPACK_IMPORTED_MODULE_5__/* .sidecarText */ .$4)(sha256, fileName));
            // In the same entry: one key holds the backup, its digest and its signature, and a prefix lookup of keys
            // can never pick a signature up as a backup.
            if (signature !== undefined)
                await (0,_shared_private_files_js__WEBPACK_IMPORTED_MODULE_4__/* .writePrivateFile */ .Pl)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(this.folder, (0,_signing_companion_js__WEBPACK_IMPORTED_MODULE_9__/* .companionName */ .km)(fileName)), signature);
            let id;
            try {
                id = await _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .saveCache */ .Io([CACHE_FOLDER], key);
            }
            catch (error) {
                throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`Saving the backup to the Actions cache as '${key}' failed: ${error.message}`, { cause: error });
            }
            // saveCache reports most failures as a log warning and returns -1; for a backup that is a failure.
            if (id === -1) {
                throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`The Actions cache did not store '${key}' (see the warning above: the key may already exist, the entry may exceed ` +
                    `the 10 GB limit, or the cache service refused the write). The backup was not saved.`);
            }
            logger.info(`Saved cache entry '${key}' (id ${id}, backup ${size} bytes, sha256 ${sha256})`);
            return { name: fileName, location: key, size, sha256, cacheKey: key };
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(this.folder, { recursive: true, force: true });
        }
    }
    async discard(stagedFile) {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(stagedFile, { force: true });
        if (node_path__WEBPACK_IMPORTED_MODULE_2__.dirname(stagedFile) === this.folder)
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(this.folder, { recursive: true, force: true });
    }
    async find(query, logger) {
        this.requireRuntime();
        let key;
        if ('name' in query) {
            const hits = [];
            for (const ending of _names_js__WEBPACK_IMPORTED_MODULE_6__/* .BACKUP_ENDINGS */ .Oy) {
                const hit = await this.lookup(CACHE_KEY_PREFIX + query.name + ending, []);
                if (hit)
                    hits.push(hit);
            }
            if (hits.length > 1) {
                throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`Several cache entries match name '${query.name}': ${hits.map(h => `'${h}'`).join(', ')}. Set '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Name}' to the full backup name.`);
            }
            key = hits[0];
        }
        else {
            const prefixKey = CACHE_KEY_PREFIX + query.prefix;
            key = await this.lookup(prefixKey, [prefixKey]);
            if (key)
                logger.info(`Newest cache entry starting with '${prefixKey}': '${key}'`);
        }
        if (!key) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`No cache entry found: looked for ${(0,_names_js__WEBPACK_IMPORTED_MODULE_6__/* .describeQuery */ .Qp)(query)} under keys starting with '${CACHE_KEY_PREFIX}'. ` +
                `The cache only shows entries of this branch and the default branch, and evicts entries unused for 7 days.`);
        }
        return { name: key.slice(CACHE_KEY_PREFIX.length), ref: key, size: null, sha256: null, createdAt: null };
    }
    async fetchSignature(found) {
        try {
            await this.restoreEntry(found);
            return await (0,_companion_file_js__WEBPACK_IMPORTED_MODULE_7__/* .readCompanion */ .R)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(this.folder, (0,_signing_companion_js__WEBPACK_IMPORTED_MODULE_9__/* .companionName */ .km)(found.name)));
        }
        catch (error) {
            await this.forget();
            throw error;
        }
    }
    async forget() {
        this.restored = null;
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(this.folder, { recursive: true, force: true });
    }
    async fetch(found, destDir, logger) {
        const dest = node_path__WEBPACK_IMPORTED_MODULE_2__.join(destDir, found.name);
        try {
            await (0,_digest_js__WEBPACK_IMPORTED_MODULE_5__/* .refuseExisting */ .Uj)(dest);
            await this.restoreEntry(found);
            const file = node_path__WEBPACK_IMPORTED_MODULE_2__.join(this.folder, found.name);
            let expected;
            try {
                expected = (0,_digest_js__WEBPACK_IMPORTED_MODULE_5__/* .parseSidecar */ .L0)(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile)(file + SIDECAR, 'utf8'));
            }
            catch (error) {
                throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`Cache entry '${found.ref}' does not hold ${found.name} and its digest: it was not saved by xlr-backup.`, { cause: error });
            }
            const copied = await (0,_digest_js__WEBPACK_IMPORTED_MODULE_5__/* .copyWithDigest */ .e0)(file, dest);
            // found.sha256 is set when a signature pins the digest: the entry's own sidecar is not enough then.
            for (const wanted of [expected, found.sha256]) {
                if (wanted !== null && copied.sha256 !== wanted) {
                    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(dest, { force: true });
                    throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .IntegrityError */ .cs(`Backup '${found.name}' from cache entry '${found.ref}' does not match its ${wanted === expected ? 'digest' : 'signed digest'}: expected sha256 ${wanted}, read ${copied.sha256}. Restore refused.`);
                }
            }
            logger.info(`Restored cache entry '${found.ref}' (${copied.size} bytes, sha256 checked)`);
            return dest;
        }
        finally {
            await this.forget();
        }
    }
    /** Downloads the entry of `found` into the (fresh) cache folder, unless fetchSignature already did. */
    async restoreEntry(found) {
        if (this.restored === found.ref)
            return;
        await this.freshFolder();
        let hit;
        try {
            hit = await _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .restoreCache */ .P3([CACHE_FOLDER], found.ref);
        }
        catch (error) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`Restoring cache entry '${found.ref}' failed: ${error.message}`, {
                cause: error
            });
        }
        if (hit !== found.ref) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`Cache entry '${found.ref}' could not be downloaded (see the warning above); it may have just been evicted.`);
        }
        this.restored = found.ref;
    }
    async lookup(key, restoreKeys) {
        try {
            return await _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .restoreCache */ .P3([CACHE_FOLDER], key, restoreKeys, { lookupOnly: true });
        }
        catch (error) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`Looking up cache key '${key}' failed: ${error.message}`, { cause: error });
        }
    }
    /** An empty, owner-only cache folder; anything left there belongs to an earlier run of ours and is dropped. */
    async freshFolder() {
        if (node_path__WEBPACK_IMPORTED_MODULE_2__.resolve(CACHE_FOLDER) !== this.folder) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`'${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Storage}: cache' must run with the workspace (${this.env.workspace}) as its current folder, found ${process.cwd()}: ` +
                `the Actions cache stores paths relative to it.`);
        }
        try {
            const left = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(this.folder);
            if (left.length > 0)
                await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(this.folder, { recursive: true, force: true });
        }
        catch {
            // absent: fine
        }
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)(this.folder, { recursive: true, mode: _shared_private_files_js__WEBPACK_IMPORTED_MODULE_4__/* .PRIVATE_DIR_MODE */ .qH });
    }
    requireRuntime() {
        if (!this.processEnv.ACTIONS_RUNTIME_TOKEN ||
            !(this.processEnv.ACTIONS_RESULTS_URL || this.processEnv.ACTIONS_CACHE_URL)) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .StorageError */ .aq(`'${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Storage}: cache' only works inside a GitHub Actions job (ACTIONS_RUNTIME_TOKEN and the cache service URL are not set). ` +
                `Outside Actions use '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Storage}: directory' with a '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Path}'.`);
        }
    }
}
/** Cache keys may not hold commas and are at most 512 characters (with our prefix). */
function checkCacheName(name) {
    (0,_names_js__WEBPACK_IMPORTED_MODULE_6__/* .checkBackupName */ .Mg)(name);
    if (name.includes(','))
        throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz(_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Name, `Input '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Name}' (${JSON.stringify(name)}) contains a comma, which cache keys may not contain.`);
    if (CACHE_KEY_PREFIX.length + name.length > 512) {
        throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz(_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Name, `Input '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Name}' is ${name.length} characters long; with '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_10__/* .Input */ .p.Storage}: cache' it may have at most ${512 - CACHE_KEY_PREFIX.length}.`);
    }
}


/***/ })

};
