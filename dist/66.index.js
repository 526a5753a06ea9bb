export const id = 66;
export const ids = [66];
export const modules = {

/***/ 20510:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EX: () => (/* binding */ deleteError),
/* harmony export */   jc: () => (/* binding */ ArtifactRestApi),
/* harmony export */   lF: () => (/* binding */ restError)
/* harmony export */ });
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(61351);
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(58382);
/* harmony import */ var _shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(79920);



const PER_PAGE = 100;
/**
 * The slice of the REST API the artifact client does not offer: the repository-wide artifact list (newest first)
 * used to find the newest backup by prefix, and per-run lists that keep the `expired` flag. The base URL is read
 * when the object is made (not when @actions/github is first imported), so GHE.com and test servers work.
 */
class ArtifactRestApi {
    repository;
    octokit;
    owner;
    repo;
    constructor(token, repository, apiUrl) {
        this.repository = repository;
        ;
        [this.owner, this.repo] = repository.split('/');
        this.octokit = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(token, { baseUrl: apiUrl });
    }
    /** Every artifact of one run, newest first. */
    async runArtifacts(runId) {
        const all = [];
        for await (const page of this.pages(`GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts`, { run_id: runId }, `run ${runId}`)) {
            all.push(...page);
        }
        return all;
    }
    /** The repository's artifacts called exactly `name` (every run), newest first. */
    async named(name) {
        const all = [];
        for await (const page of this.pages(`GET /repos/{owner}/{repo}/actions/artifacts`, { name }, 'the repository')) {
            all.push(...page);
        }
        return all;
    }
    /** Pages of the repository's artifacts, newest first (the API has no prefix filter, so callers filter). */
    repositoryPages() {
        return this.pages(`GET /repos/{owner}/{repo}/actions/artifacts`, {}, 'the repository');
    }
    /** One workflow run's trigger, branch and workflow file. */
    async run(runId) {
        try {
            const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
                owner: this.owner,
                repo: this.repo,
                run_id: runId
            });
            const raw = data;
            return {
                id: raw.id,
                event: raw.event,
                headBranch: raw.head_branch,
                path: raw.path,
                headRepository: raw.head_repository?.full_name ?? null
            };
        }
        catch (error) {
            throw restError(error, this.repository, `run ${runId}`);
        }
    }
    /**
     * Deletes one artifact (the token needs 'actions: write'). False when it was already gone (404): a rotation that
     * races another one, or an artifact that expired, is not a failure.
     */
    async deleteArtifact(id, name) {
        try {
            await this.octokit.request('DELETE /repos/{owner}/{repo}/actions/artifacts/{artifact_id}', {
                owner: this.owner,
                repo: this.repo,
                artifact_id: id
            });
            return true;
        }
        catch (error) {
            const status = error.status;
            if (status === 404)
                return false;
            throw deleteError(error, this.repository, `artifact '${name}' (id ${id})`);
        }
    }
    /** The repository's default branch. */
    async defaultBranch() {
        try {
            const { data } = await this.octokit.request('GET /repos/{owner}/{repo}', { owner: this.owner, repo: this.repo });
            return data.default_branch;
        }
        catch (error) {
            throw restError(error, this.repository, 'the repository');
        }
    }
    async *pages(route, params, scope) {
        for (let page = 1;; page++) {
            let data;
            try {
                const response = await this.octokit.request(route, {
                    owner: this.owner,
                    repo: this.repo,
                    per_page: PER_PAGE,
                    page,
                    ...params
                });
                data = response.data;
            }
            catch (error) {
                throw restError(error, this.repository, scope);
            }
            yield data.artifacts.map(toRestArtifact);
            if (data.artifacts.length < PER_PAGE || page * PER_PAGE >= data.total_count)
                return;
        }
    }
}
function toRestArtifact(a) {
    return {
        id: a.id,
        name: a.name,
        size: a.size_in_bytes,
        createdAt: a.created_at,
        expired: a.expired,
        digest: a.digest ?? null,
        runId: a.workflow_run?.id ?? null
    };
}
/** A refused deletion (artifact or cache entry): 403 means the token may read but not write. */
function deleteError(error, repository, what) {
    const status = error.status;
    const detail = error.message;
    if (status === 403) {
        return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`The GitHub API refused to delete ${what} in ${repository} (HTTP 403: ${detail}). Rotation deletes through the ` +
            `REST API, so '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.GithubToken}' needs 'actions: write': add 'permissions: { actions: write }' to the job ` +
            `(or pass a token that has it).`, { cause: error });
    }
    if (status === 401) {
        return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`The GitHub API rejected '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.GithubToken}' (HTTP 401: ${detail}): it is invalid or expired.`, { cause: error });
    }
    return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`Deleting ${what} in ${repository} failed: ${detail}`, { cause: error });
}
/** Turns an HTTP failure of the REST API into a message that names the input to fix. */
function restError(error, repository, scope, listing = 'artifacts') {
    const status = error.status;
    const detail = error.message;
    if (status === 403) {
        return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`The GitHub API refused to list the ${listing} of ${scope} in ${repository} (HTTP 403: ${detail}). ` +
            `The '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.GithubToken}' lacks 'actions: read' on '${repository}': add 'permissions: { actions: read }' to the job, ` +
            `or pass a token that has it (for another repository, a fine-grained token with Actions read access).`, { cause: error });
    }
    if (status === 401) {
        return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`The GitHub API rejected '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.GithubToken}' (HTTP 401: ${detail}): it is invalid or expired.`, {
            cause: error
        });
    }
    if (status === 404) {
        return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`The GitHub API found no ${scope === 'the repository' ? `repository '${repository}'` : `${scope} in '${repository}'`} ` +
            `(HTTP 404). Check '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.Repository}' and '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.RunId}', and that '${_shared_io_names_js__WEBPACK_IMPORTED_MODULE_2__/* .Input */ .p.GithubToken}' can see that repository.`, { cause: error });
    }
    return new _shared_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .StorageError */ .aq(`Listing the ${listing} of ${scope} in ${repository} failed: ${detail}`, { cause: error });
}


/***/ }),

/***/ 39066:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  CacheStorage: () => (/* binding */ CacheStorage)
});

// UNUSED EXPORTS: CACHE_FOLDER, CACHE_KEY_PREFIX

// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/cache.js + 91 modules
var cache = __webpack_require__(18091);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(58382);
// EXTERNAL MODULE: ./src/shared/private-files.ts
var private_files = __webpack_require__(99412);
// EXTERNAL MODULE: ./src/storage/digest.ts
var digest = __webpack_require__(14257);
// EXTERNAL MODULE: ./src/storage/names.ts
var names = __webpack_require__(62761);
// EXTERNAL MODULE: ./src/storage/companion-file.ts
var companion_file = __webpack_require__(35258);
// EXTERNAL MODULE: ./src/storage/staging.ts
var staging = __webpack_require__(55864);
// EXTERNAL MODULE: ./src/signing/companion.ts
var companion = __webpack_require__(20005);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js
var github = __webpack_require__(61351);
// EXTERNAL MODULE: ./src/storage/artifact-rest.ts
var artifact_rest = __webpack_require__(20510);
;// CONCATENATED MODULE: ./src/storage/cache-rest.ts


const PER_PAGE = 100;
/**
 * The slice of the REST API the cache client does not offer: listing entries by key prefix and deleting them (the
 * rotation). Listing needs 'actions: read', deleting 'actions: write'.
 */
class CacheRestApi {
    repository;
    octokit;
    owner;
    repo;
    constructor(token, repository, apiUrl) {
        this.repository = repository;
        ;
        [this.owner, this.repo] = repository.split('/');
        this.octokit = (0,github/* getOctokit */.Q)(token, { baseUrl: apiUrl });
    }
    /** Every entry whose key starts with `keyPrefix` (the API matches keys by prefix), of `ref` when given; all pages. */
    async list(keyPrefix, ref) {
        const all = [];
        for (let page = 1;; page++) {
            let data;
            try {
                const response = await this.octokit.request('GET /repos/{owner}/{repo}/actions/caches', {
                    owner: this.owner,
                    repo: this.repo,
                    key: keyPrefix,
                    per_page: PER_PAGE,
                    page,
                    ...(ref ? { ref } : {})
                });
                data = response.data;
            }
            catch (error) {
                throw (0,artifact_rest/* restError */.lF)(error, this.repository, 'the repository', 'cache entries');
            }
            for (const e of data.actions_caches) {
                all.push({ id: e.id, key: e.key, ref: e.ref, createdAt: e.created_at ?? null, size: e.size_in_bytes ?? 0 });
            }
            if (data.actions_caches.length < PER_PAGE || page * PER_PAGE >= data.total_count)
                return all;
        }
    }
    /** Deletes the entries called exactly `key` (of `ref` when given); false when there were none (404). */
    async deleteKey(key, ref) {
        try {
            await this.octokit.request('DELETE /repos/{owner}/{repo}/actions/caches{?key,ref}', {
                owner: this.owner,
                repo: this.repo,
                key,
                ...(ref ? { ref } : {})
            });
            return true;
        }
        catch (error) {
            if (error.status === 404)
                return false;
            throw (0,artifact_rest/* deleteError */.EX)(error, this.repository, `cache entry '${key}'`);
        }
    }
}

// EXTERNAL MODULE: ./src/shared/io-names.ts
var io_names = __webpack_require__(79920);
;// CONCATENATED MODULE: ./src/storage/cache.ts












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
    rest;
    kind = 'cache';
    folder;
    /** The key whose entry fetchSignature left in the folder for fetch (one download for both). */
    restored = null;
    constructor(env, processEnv = process.env, 
    /** For the rotation, which lists and deletes entries through the REST API ('' = none given). */
    rest = { githubToken: '', repository: '' }) {
        this.env = env;
        this.processEnv = processEnv;
        this.rest = rest;
        this.folder = external_node_path_.join(env.workspace, CACHE_FOLDER);
    }
    async stagingPath(fileName) {
        checkCacheName(fileName);
        this.requireRuntime();
        await this.freshFolder();
        return await (0,staging/* createStagingFile */.Q)(this.folder, fileName);
    }
    async publish(stagedFile, fileName, logger, _written, signature) {
        checkCacheName(fileName);
        const key = CACHE_KEY_PREFIX + fileName;
        try {
            if (await this.lookup(key, [])) {
                throw new errors/* StorageError */.aq(`A cache entry '${key}' already exists and cache entries cannot be replaced: give the backup another '${io_names/* Input */.p.Name}'.`);
            }
            const { sha256, size } = await (0,digest/* hashFile */.DC)(stagedFile);
            const file = external_node_path_.join(this.folder, fileName);
            await (0,promises_.rename)(stagedFile, file);
            await (0,private_files/* writePrivateFile */.Pl)(file + SIDECAR, (0,digest/* sidecarText */.$4)(sha256, fileName));
            // In the same entry: one key holds the backup, its digest and its signature, and a prefix lookup of keys
            // can never pick a signature up as a backup.
            if (signature !== undefined)
                await (0,private_files/* writePrivateFile */.Pl)(external_node_path_.join(this.folder, (0,companion/* companionName */.km)(fileName)), signature);
            let id;
            try {
                id = await cache/* saveCache */.Io([CACHE_FOLDER], key);
            }
            catch (error) {
                throw new errors/* StorageError */.aq(`Saving the backup to the Actions cache as '${key}' failed: ${error.message}`, { cause: error });
            }
            // saveCache reports most failures as a log warning and returns -1; for a backup that is a failure.
            if (id === -1) {
                throw new errors/* StorageError */.aq(`The Actions cache did not store '${key}' (see the warning above: the key may already exist, the entry may exceed ` +
                    `the 10 GB limit, or the cache service refused the write). The backup was not saved.`);
            }
            logger.info(`Saved cache entry '${key}' (id ${id}, backup ${size} bytes, sha256 ${sha256})`);
            return { name: fileName, location: key, size, sha256, cacheKey: key };
        }
        finally {
            await (0,promises_.rm)(this.folder, { recursive: true, force: true });
        }
    }
    async discard(stagedFile) {
        await (0,promises_.rm)(stagedFile, { force: true });
        if (external_node_path_.dirname(stagedFile) === this.folder)
            await (0,promises_.rm)(this.folder, { recursive: true, force: true });
    }
    async find(query, logger) {
        this.requireRuntime();
        let key;
        if ('name' in query) {
            const hits = [];
            for (const ending of names/* BACKUP_ENDINGS */.Oy) {
                const hit = await this.lookup(CACHE_KEY_PREFIX + query.name + ending, []);
                if (hit)
                    hits.push(hit);
            }
            if (hits.length > 1) {
                throw new errors/* StorageError */.aq(`Several cache entries match name '${query.name}': ${hits.map(h => `'${h}'`).join(', ')}. Set '${io_names/* Input */.p.Name}' to the full backup name.`);
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
            throw new errors/* StorageError */.aq(`No cache entry found: looked for ${(0,names/* describeQuery */.Qp)(query)} under keys starting with '${CACHE_KEY_PREFIX}'. ` +
                `The cache only shows entries of this branch and the default branch, and evicts entries unused for 7 days.`);
        }
        return { name: key.slice(CACHE_KEY_PREFIX.length), ref: key, size: null, sha256: null, createdAt: null };
    }
    async fetchSignature(found) {
        try {
            await this.restoreEntry(found);
            return await (0,companion_file/* readCompanion */.R)(external_node_path_.join(this.folder, (0,companion/* companionName */.km)(found.name)));
        }
        catch (error) {
            await this.forget();
            throw error;
        }
    }
    async forget() {
        this.restored = null;
        await (0,promises_.rm)(this.folder, { recursive: true, force: true });
    }
    async fetch(found, destDir, logger) {
        const dest = external_node_path_.join(destDir, found.name);
        try {
            await (0,digest/* refuseExisting */.Uj)(dest);
            await this.restoreEntry(found);
            const file = external_node_path_.join(this.folder, found.name);
            let expected;
            try {
                expected = (0,digest/* parseSidecar */.L0)(await (0,promises_.readFile)(file + SIDECAR, 'utf8'));
            }
            catch (error) {
                throw new errors/* StorageError */.aq(`Cache entry '${found.ref}' does not hold ${found.name} and its digest: it was not saved by xlr-backup.`, { cause: error });
            }
            const copied = await (0,digest/* copyWithDigest */.e0)(file, dest);
            // found.sha256 is set when a signature pins the digest: the entry's own sidecar is not enough then.
            for (const wanted of [expected, found.sha256]) {
                if (wanted !== null && copied.sha256 !== wanted) {
                    await (0,promises_.rm)(dest, { force: true });
                    throw new errors/* IntegrityError */.cs(`Backup '${found.name}' from cache entry '${found.ref}' does not match its ${wanted === expected ? 'digest' : 'signed digest'}: expected sha256 ${wanted}, read ${copied.sha256}. Restore refused.`);
                }
            }
            logger.info(`Restored cache entry '${found.ref}' (${copied.size} bytes, sha256 checked)`);
            return dest;
        }
        finally {
            await this.forget();
        }
    }
    /**
     * The entries whose keys start with `xlr-backup-<prefix>`, of this run's branch (GITHUB_REF) only: a restore sees
     * this branch's entries, and a pull request's look-alike entries must not count. Dated by the service's creation
     * time; one backup per key.
     */
    async list(prefix, logger) {
        const ref = this.processEnv.GITHUB_REF ?? '';
        const entries = await this.restApi().list(CACHE_KEY_PREFIX + prefix, ref);
        const byKey = new Map();
        for (const e of entries) {
            // The API matches by prefix already; checked again, since only our own keys may ever be deleted.
            if (!e.key.startsWith(CACHE_KEY_PREFIX + prefix) || (ref && e.ref !== ref))
                continue;
            const seen = byKey.get(e.key);
            if (seen && Date.parse(seen.createdAt ?? '') >= Date.parse(e.createdAt ?? ''))
                continue;
            byKey.set(e.key, {
                name: e.key.slice(CACHE_KEY_PREFIX.length),
                ref: e.key,
                size: e.size,
                sha256: null,
                createdAt: e.createdAt
            });
        }
        logger.debug(`Listed ${byKey.size} cache entries under '${CACHE_KEY_PREFIX + prefix}'${ref ? ` of ${ref}` : ''}.`);
        return [...byKey.values()];
    }
    /** Deletes the entry (every version of its key on this branch). The cache has no lock. */
    async remove(found, logger) {
        if (!found.ref.startsWith(CACHE_KEY_PREFIX))
            throw new errors/* StorageError */.aq(`'${found.ref}' is not a backup's cache key.`);
        if (!(await this.restApi().deleteKey(found.ref, this.processEnv.GITHUB_REF ?? ''))) {
            logger.info(`Cache entry '${found.ref}' was already gone.`);
        }
        return 'deleted';
    }
    restApi() {
        const repository = this.rest.repository || this.env.repository;
        if (!this.rest.githubToken) {
            throw new errors/* InputError */.dz(io_names/* Input */.p.GithubToken, `Input '${io_names/* Input */.p.GithubToken}' is empty, but rotating '${io_names/* Input */.p.Storage}: cache' lists and deletes entries through ` +
                `the GitHub API: pass a token with 'actions: write' (the default '\${{ github.token }}' has it with 'permissions: { actions: write }').`);
        }
        if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
            throw new errors/* InputError */.dz(io_names/* Input */.p.Repository, `Rotating '${io_names/* Input */.p.Storage}: cache' needs the repository as 'owner/name' (GITHUB_REPOSITORY is not set here), got ${JSON.stringify(repository)}.`);
        }
        return new CacheRestApi(this.rest.githubToken, repository, this.env.apiUrl);
    }
    /** Downloads the entry of `found` into the (fresh) cache folder, unless fetchSignature already did. */
    async restoreEntry(found) {
        if (this.restored === found.ref)
            return;
        await this.freshFolder();
        let hit;
        try {
            hit = await cache/* restoreCache */.P3([CACHE_FOLDER], found.ref);
        }
        catch (error) {
            throw new errors/* StorageError */.aq(`Restoring cache entry '${found.ref}' failed: ${error.message}`, {
                cause: error
            });
        }
        if (hit !== found.ref) {
            throw new errors/* StorageError */.aq(`Cache entry '${found.ref}' could not be downloaded (see the warning above); it may have just been evicted.`);
        }
        this.restored = found.ref;
    }
    async lookup(key, restoreKeys) {
        try {
            return await cache/* restoreCache */.P3([CACHE_FOLDER], key, restoreKeys, { lookupOnly: true });
        }
        catch (error) {
            throw new errors/* StorageError */.aq(`Looking up cache key '${key}' failed: ${error.message}`, { cause: error });
        }
    }
    /** An empty, owner-only cache folder; anything left there belongs to an earlier run of ours and is dropped. */
    async freshFolder() {
        if (external_node_path_.resolve(CACHE_FOLDER) !== this.folder) {
            throw new errors/* StorageError */.aq(`'${io_names/* Input */.p.Storage}: cache' must run with the workspace (${this.env.workspace}) as its current folder, found ${process.cwd()}: ` +
                `the Actions cache stores paths relative to it.`);
        }
        try {
            const left = await (0,promises_.readdir)(this.folder);
            if (left.length > 0)
                await (0,promises_.rm)(this.folder, { recursive: true, force: true });
        }
        catch {
            // absent: fine
        }
        await (0,promises_.mkdir)(this.folder, { recursive: true, mode: private_files/* PRIVATE_DIR_MODE */.qH });
    }
    requireRuntime() {
        if (!this.processEnv.ACTIONS_RUNTIME_TOKEN ||
            !(this.processEnv.ACTIONS_RESULTS_URL || this.processEnv.ACTIONS_CACHE_URL)) {
            throw new errors/* StorageError */.aq(`'${io_names/* Input */.p.Storage}: cache' only works inside a GitHub Actions job (ACTIONS_RUNTIME_TOKEN and the cache service URL are not set). ` +
                `Outside Actions use '${io_names/* Input */.p.Storage}: directory' with a '${io_names/* Input */.p.Path}'.`);
        }
    }
}
/** Cache keys may not hold commas and are at most 512 characters (with our prefix). */
function checkCacheName(name) {
    (0,names/* checkBackupName */.Mg)(name);
    if (name.includes(','))
        throw new errors/* InputError */.dz(io_names/* Input */.p.Name, `Input '${io_names/* Input */.p.Name}' (${JSON.stringify(name)}) contains a comma, which cache keys may not contain.`);
    if (CACHE_KEY_PREFIX.length + name.length > 512) {
        throw new errors/* InputError */.dz(io_names/* Input */.p.Name, `Input '${io_names/* Input */.p.Name}' is ${name.length} characters long; with '${io_names/* Input */.p.Storage}: cache' it may have at most ${512 - CACHE_KEY_PREFIX.length}.`);
    }
}


/***/ })

};
