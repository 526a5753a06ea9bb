export const id = 340;
export const ids = [340];
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

/***/ 89340:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ArtifactStorage: () => (/* binding */ ArtifactStorage)
});

// EXTERNAL MODULE: ./node_modules/@actions/artifact/lib/artifact.js + 28 modules
var artifact = __webpack_require__(76799);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(58382);
// EXTERNAL MODULE: ./src/shared/private-files.ts
var private_files = __webpack_require__(99412);
// EXTERNAL MODULE: ./src/storage/artifact-rest.ts
var artifact_rest = __webpack_require__(20510);
// EXTERNAL MODULE: ./src/storage/companion-file.ts
var companion_file = __webpack_require__(35258);
// EXTERNAL MODULE: ./src/signing/companion.ts
var signing_companion = __webpack_require__(20005);
// EXTERNAL MODULE: ./src/storage/environment.ts
var environment = __webpack_require__(81552);
// EXTERNAL MODULE: ./src/storage/names.ts
var storage_names = __webpack_require__(62761);
// EXTERNAL MODULE: ./src/storage/digest.ts
var digest = __webpack_require__(14257);
// EXTERNAL MODULE: ./src/storage/staging.ts
var staging = __webpack_require__(55864);
// EXTERNAL MODULE: ./src/shared/progress.ts
var shared_progress = __webpack_require__(1378);
;// CONCATENATED MODULE: ./src/storage/download-progress.ts



/** How often the folder is looked at; the log still gets a line only every `intervalMs`. */
const POLL_MS = 1000;
/**
 * Logs a download's progress (bytes, percent, rate, ETA) by watching the size of what lands in `dir`: the artifact
 * client reports none while it downloads, and a restore drill of a multi-GB backup would otherwise sit silent.
 * Returns the function that stops watching.
 */
function watchDownload(dir, totalBytes, label, logger, intervalMs = 10_000, pollMs = POLL_MS) {
    const progress = new shared_progress/* Progress */.ke(label, totalBytes, logger, intervalMs);
    let seen = 0;
    let busy = false;
    let stopped = false;
    const timer = setInterval(() => {
        if (busy)
            return;
        busy = true;
        sizeOf(dir)
            .then(bytes => {
            // A look still under way when the watch stopped must not log after it.
            if (stopped)
                return;
            // Called on every look, new bytes or not: a stalled download still gets its line at each interval.
            progress.add(Math.max(0, bytes - seen));
            seen = Math.max(seen, bytes);
        })
            // A progress line that cannot be written must not fail the download it only reports on.
            .catch((error) => logger.debug(`Download progress not logged: ${String(error)}`))
            .finally(() => {
            busy = false;
        });
    }, pollMs);
    timer.unref();
    return () => {
        stopped = true;
        clearInterval(timer);
    };
}
/** Bytes of the files directly in `dir`; what cannot be read counts as nothing (it may be being renamed). */
async function sizeOf(dir) {
    let bytes = 0;
    const names = await (0,promises_.readdir)(dir).catch(() => []);
    for (const name of names)
        bytes += (await (0,promises_.stat)(external_node_path_.join(dir, name)).catch(() => null))?.size ?? 0;
    return bytes;
}

// EXTERNAL MODULE: ./src/shared/io-names.ts
var io_names = __webpack_require__(79920);
;// CONCATENATED MODULE: ./src/storage/artifact.ts














/** Events whose runs carry code from a pull request: their artifacts are never taken unless 'trust-any-run'. */
const PULL_REQUEST_EVENT = /^pull_request/;
/** The repository-wide list is read newest first; a backup older than this many artifacts is not looked for. */
const MAX_REPOSITORY_PAGES = 20;
/**
 * Backups as workflow artifacts. The finished backup file is uploaded as-is (`skipArchive`): the artifact is the
 * file, its digest is the file's SHA-256 and the artifact name is the file name. Downloads keep the raw bytes
 * (`skipDecompress`): a backup is a ZIP, and letting the client unzip it would lose the very file we need.
 */
class ArtifactStorage {
    options;
    env;
    processEnv;
    kind = 'artifact';
    client = new artifact/* DefaultArtifactClient */.t9();
    stagingDirs = new Set();
    repository;
    /** Per run id: null when trusted, else why not (each run is asked about once). */
    runVerdicts = new Map();
    defaultBranch = null;
    constructor(options, env, processEnv = process.env) {
        this.options = options;
        this.env = env;
        this.processEnv = processEnv;
        if ((0,environment/* isEnterpriseServer */.vh)(env.serverUrl)) {
            throw new errors/* StorageError */.aq(`'${io_names/* Input */.p.Storage}: artifact' does not work on GitHub Enterprise Server (${env.serverUrl}): @actions/artifact v2 and later ` +
                `support only github.com and GHE.com. Use '${io_names/* Input */.p.Storage}: directory' with a '${io_names/* Input */.p.Path}' on the runner (a NAS or mounted share), ` +
                `or '${io_names/* Input */.p.Storage}: cache'.`);
        }
        this.repository = options.repository || env.repository;
        if (options.runId !== null) {
            this.requireToken(`'${io_names/* Input */.p.RunId}: ${options.runId}' (another run)`);
            this.requireRepository();
        }
    }
    async stagingPath(fileName) {
        (0,storage_names/* checkBackupName */.Mg)(fileName);
        // The backup may hold plaintext secrets: without an explicit 'path' it is staged in the run's private folder.
        const dir = await (0,private_files/* makePrivateTempDir */.FH)('xlr-artifact-', this.options.tempRoot || (0,private_files/* currentRunFolder */.V1)() || this.env.tempDir);
        this.stagingDirs.add(dir);
        return await (0,staging/* createStagingFile */.Q)(dir, fileName);
    }
    async publish(stagedFile, fileName, logger, _written, signature) {
        (0,storage_names/* checkBackupName */.Mg)(fileName);
        (0,environment/* requireActionsRuntime */.dG)('artifact', this.processEnv);
        // skipArchive names the artifact after the file, so the file must carry the backup's name.
        const dir = external_node_path_.dirname(stagedFile);
        const file = external_node_path_.join(dir, fileName);
        await (0,promises_.rename)(stagedFile, file);
        try {
            const size = (await (0,promises_.stat)(file)).size;
            let result;
            try {
                result = await this.client.uploadArtifact(fileName, [file], dir, {
                    skipArchive: true,
                    ...(this.options.retentionDays !== null ? { retentionDays: this.options.retentionDays } : {})
                });
            }
            catch (error) {
                throw uploadError(error, fileName);
            }
            if (result.id === undefined || !result.digest) {
                throw new errors/* StorageError */.aq(`Uploading artifact '${fileName}' returned no artifact id or digest: the upload cannot be trusted.`);
            }
            if (result.size !== size) {
                throw new errors/* StorageError */.aq(`Uploading artifact '${fileName}' sent ${result.size} bytes but the backup has ${size}: the upload cannot be trusted.`);
            }
            const artifactUrl = this.artifactUrl(result.id);
            logger.info(`Uploaded artifact '${fileName}' (id ${result.id}, ${size} bytes, sha256 ${result.digest}): ${artifactUrl}`);
            // A second artifact in the same run, uploaded after the backup: a run that died between the two leaves an
            // unsigned backup, which a restore that trusts signers refuses.
            if (signature !== undefined)
                await this.uploadCompanion(dir, (0,signing_companion/* companionName */.km)(fileName), signature, logger);
            return { name: fileName, location: fileName, size, sha256: result.digest, artifactId: result.id, artifactUrl };
        }
        finally {
            await this.dropStagingDir(dir);
        }
    }
    async uploadCompanion(dir, name, text, logger) {
        const file = external_node_path_.join(dir, name);
        await (0,promises_.writeFile)(file, text, { mode: private_files/* PRIVATE_FILE_MODE */.vo, flag: 'wx' });
        try {
            const result = await this.client.uploadArtifact(name, [file], dir, {
                skipArchive: true,
                ...(this.options.retentionDays !== null ? { retentionDays: this.options.retentionDays } : {})
            });
            logger.info(`Uploaded its signature as artifact '${name}' (id ${result.id})`);
        }
        catch (error) {
            throw uploadError(error, name);
        }
    }
    async fetchSignature(found, destDir, logger) {
        const name = (0,signing_companion/* companionName */.km)(found.name);
        let candidates;
        if (found.workflowRunId !== undefined) {
            const inRun = await this.api().runArtifacts(found.workflowRunId);
            candidates = inRun.filter(a => a.name === name && !a.expired).map(a => fromRest(a));
        }
        else {
            (0,environment/* requireActionsRuntime */.dG)('artifact', this.processEnv);
            let here;
            try {
                here = (await this.client.listArtifacts()).artifacts;
            }
            catch (error) {
                throw new errors/* StorageError */.aq(`Listing this run's artifacts failed: ${error.message}`, { cause: error });
            }
            candidates = here.filter(a => a.name === name).map(fromClient);
        }
        if (candidates.length === 0)
            return null;
        const companion = candidates.sort(newestFirst)[0];
        if ((companion.size ?? 0) > signing_companion/* MAX_COMPANION_BYTES */.iy) {
            throw new errors/* SignatureError */.VA(`The signature artifact '${name}' (id ${companion.artifactId}) is ${companion.size} bytes, far more than a signature: the backup is refused.`);
        }
        const file = await this.fetch(companion, destDir, logger);
        try {
            return await (0,companion_file/* readCompanion */.R)(file);
        }
        finally {
            await (0,promises_.rm)(file, { force: true });
        }
    }
    async discard(stagedFile) {
        await (0,promises_.rm)(stagedFile, { force: true });
        await this.dropStagingDir(external_node_path_.dirname(stagedFile));
    }
    async find(query, logger) {
        if (this.options.runId !== null)
            return await this.findInRun(query, this.options.runId, logger);
        if ('name' in query)
            return await this.findByName(query.name, logger);
        return await this.findNewest(query.prefix, logger);
    }
    async fetch(found, destDir, logger) {
        if (found.artifactId === undefined)
            throw new errors/* StorageError */.aq(`Backup '${found.name}' was not found in artifact storage.`);
        const dest = external_node_path_.join(destDir, found.name);
        await (0,digest/* refuseExisting */.Uj)(dest);
        // A fresh owner-only folder: the client names the file itself (Content-Disposition, else 'artifact') and
        // creates it with the default mode, so it must land where nobody else can read it.
        const work = await (0,private_files/* makePrivateTempDir */.FH)('.xlr-artifact-download-', destDir);
        try {
            const options = {
                path: work,
                skipDecompress: true,
                ...(found.sha256 ? { expectedHash: `sha256:${found.sha256}` } : {})
            };
            const otherRun = found.workflowRunId !== undefined && found.workflowRunId !== this.env.runId;
            let result;
            const stopWatching = watchDownload(work, found.size ?? null, `Downloaded ${found.name}`, logger);
            try {
                if (otherRun) {
                    const [repositoryOwner, repositoryName] = this.repository.split('/');
                    result = await this.client.downloadArtifact(found.artifactId, {
                        ...options,
                        findBy: {
                            token: this.options.githubToken,
                            workflowRunId: found.workflowRunId,
                            repositoryOwner,
                            repositoryName
                        }
                    });
                }
                else {
                    (0,environment/* requireActionsRuntime */.dG)('artifact', this.processEnv);
                    result = await this.client.downloadArtifact(found.artifactId, options);
                }
            }
            catch (error) {
                throw new errors/* StorageError */.aq(`Downloading artifact '${found.name}' (id ${found.artifactId}) failed: ${error.message}`, { cause: error });
            }
            finally {
                stopWatching();
            }
            const file = await singleFile(work, found.name);
            if (result.digestMismatch) {
                throw new errors/* IntegrityError */.cs(`Artifact '${found.name}' (id ${found.artifactId}) does not match its digest: expected sha256 ${found.sha256}, ` +
                    `the downloaded bytes differ. The stored backup is damaged or was replaced; restore refused.`);
            }
            if (!found.sha256) {
                logger.warning(`Artifact '${found.name}' has no recorded digest (uploaded by an old client?), so its bytes cannot be checked against it.`);
            }
            await (0,promises_.chmod)(file, private_files/* PRIVATE_FILE_MODE */.vo);
            await (0,promises_.rename)(file, dest);
            logger.info(`Downloaded artifact '${found.name}' (id ${found.artifactId}, ${found.size ?? '?'} bytes${found.sha256 ? ', digest checked' : ''})`);
            return dest;
        }
        finally {
            await (0,promises_.rm)(work, { recursive: true, force: true });
        }
    }
    /**
     * Every live artifact of the repository whose name starts with `prefix`, all pages. Only trusted runs' artifacts
     * count (as for a restore by prefix): a pull request that uploads look-alike backups must not push the real ones
     * out of a 'keep-last' window.
     */
    async list(prefix, logger) {
        this.requireToken(`the rotation (it lists and deletes the repository's artifacts through the GitHub API)`);
        this.requireRepository();
        const matches = [];
        for await (const page of this.api().repositoryPages()) {
            matches.push(...page.filter(a => a.name.startsWith(prefix) && !(0,signing_companion/* isCompanionName */._f)(a.name) && !a.expired));
        }
        const { trusted, refused } = await this.trustedOnly(matches);
        for (const r of refused) {
            logger.info(`Left out artifact '${r.artifact.name}' (id ${r.artifact.id}, run ${r.artifact.runId}): ${r.reason}; it is neither counted nor deleted.`);
        }
        return trusted.map(a => fromRest(a));
    }
    /** Deletes the artifact and the signature artifact its run holds beside it. Artifacts have no lock. */
    async remove(found, logger) {
        if (found.artifactId === undefined)
            throw new errors/* StorageError */.aq(`Backup '${found.name}' is not a listed artifact.`);
        const api = this.api();
        if (!(await api.deleteArtifact(found.artifactId, found.name))) {
            logger.info(`Artifact '${found.name}' (id ${found.artifactId}) was already gone.`);
        }
        if (found.workflowRunId !== undefined) {
            const signature = (0,signing_companion/* companionName */.km)(found.name);
            for (const a of (await api.runArtifacts(found.workflowRunId)).filter(c => c.name === signature)) {
                await api.deleteArtifact(a.id, a.name);
            }
        }
        return 'deleted';
    }
    /** This run first (no token needed); then, with a token, every run of the repository. */
    async findByName(name, logger) {
        const searched = [];
        if (this.processEnv.ACTIONS_RUNTIME_TOKEN && this.processEnv.ACTIONS_RESULTS_URL) {
            let here;
            try {
                here = (await this.client.listArtifacts()).artifacts;
            }
            catch (error) {
                throw new errors/* StorageError */.aq(`Listing this run's artifacts failed: ${error.message}`, { cause: error });
            }
            const matches = here.filter(a => !(0,signing_companion/* isCompanionName */._f)(a.name) && (0,storage_names/* isExactMatch */.nh)(a.name, name));
            if (matches.length > 0)
                return this.pickInRun(matches.map(fromClient), { name }, 'this run', logger);
            searched.push(`this run's ${here.length} artifact(s)`);
        }
        if (!this.options.githubToken) {
            throw new errors/* StorageError */.aq(`No artifact found: looked for ${(0,storage_names/* describeQuery */.Qp)({ name })} in ${searched.join(' and ') || 'nothing'}. ` +
                `To look in other runs set '${io_names/* Input */.p.RunId}' (with '${io_names/* Input */.p.GithubToken}'), or give '${io_names/* Input */.p.GithubToken}' (actions: read) to search the repository.`);
        }
        this.requireRepository();
        const api = this.api();
        const found = [];
        for (const ending of storage_names/* BACKUP_ENDINGS */.Oy) {
            found.push(...(await api.named(name + ending)).filter(a => !(0,signing_companion/* isCompanionName */._f)(a.name)));
        }
        searched.push(`every run of ${this.repository}`);
        const { trusted: live, refused } = await this.trustedOnly(found.filter(a => !a.expired));
        if (live.length === 0 && refused.length > 0)
            throw this.untrustedError(refused, (0,storage_names/* describeQuery */.Qp)({ name }));
        if (live.length > 1) {
            throw new errors/* StorageError */.aq(`Several artifacts in ${this.repository} match name '${name}': ${describeRest(live)}. ` +
                `Set '${io_names/* Input */.p.RunId}' to the run that holds the one you want, or use '${io_names/* Input */.p.NamePrefix}' to take the newest.`);
        }
        if (live.length === 1)
            return fromRest(live[0]);
        if (found.length > 0)
            throw expiredError(found, this.repository);
        throw new errors/* StorageError */.aq(`No artifact found: looked for ${(0,storage_names/* describeQuery */.Qp)({ name })} in ${searched.join(' and ')}.`);
    }
    async findInRun(query, runId, logger) {
        const all = await this.api().runArtifacts(runId);
        const matching = all.filter(a => !(0,signing_companion/* isCompanionName */._f)(a.name) &&
            ('name' in query ? (0,storage_names/* isExactMatch */.nh)(a.name, query.name) : a.name.startsWith(query.prefix)));
        const live = matching.filter(a => !a.expired);
        const where = `run ${runId} of ${this.repository}`;
        if (live.length === 0) {
            if (matching.length > 0)
                throw expiredError(matching, this.repository);
            const names = all.map(a => a.name);
            throw new errors/* StorageError */.aq(`No artifact found: looked for ${(0,storage_names/* describeQuery */.Qp)(query)} in ${where} (${all.length} artifact(s)` +
                `${names.length > 0 ? `: ${(0,storage_names/* listNames */.Zv)(names)}` : ''}).`);
        }
        return this.pickInRun(live.map(a => fromRest(a)), query, where, logger);
    }
    /**
     * Several matches inside one run: one name twice means re-run attempts, and the newest attempt wins (with a
     * warning); different names matching an exact query (x.zip and x.zip.age) are ambiguous and refused.
     */
    pickInRun(matches, query, where, logger) {
        matches.sort(newestFirst);
        if ('name' in query) {
            const names = [...new Set(matches.map(m => m.name))];
            if (names.length > 1) {
                throw new errors/* StorageError */.aq(`Several artifacts in ${where} match name '${query.name}': ${(0,storage_names/* listNames */.Zv)(names)}. Set '${io_names/* Input */.p.Name}' to the full artifact name.`);
            }
            if (matches.length > 1) {
                logger.warning(`${where} has ${matches.length} artifacts named '${names[0]}' (re-run attempts); using the newest, id ${matches[0].artifactId}.`);
            }
        }
        else {
            logger.info(`Newest artifact starting with '${query.prefix}' in ${where}: '${matches[0].name}' (of ${matches.length})`);
        }
        return matches[0];
    }
    /** Reads the repository's artifacts newest first and stops at the first live one that matches. */
    async findNewest(prefix, logger) {
        this.requireToken(`'${io_names/* Input */.p.NamePrefix}' (it lists the repository's artifacts through the GitHub API)`);
        this.requireRepository();
        let seen = 0;
        const expired = [];
        const untrusted = [];
        let pages = 0;
        for await (const page of this.api().repositoryPages()) {
            seen += page.length;
            const matches = page.filter(a => a.name.startsWith(prefix) && !(0,signing_companion/* isCompanionName */._f)(a.name));
            expired.push(...matches.filter(a => a.expired));
            // Newest first, and the runs asked about only until one is trusted: an API call per run, not per artifact.
            const { trusted, refused } = await this.trustedOnly(matches.filter(a => !a.expired).sort((a, b) => newestFirst(fromRest(a), fromRest(b))), 1);
            untrusted.push(...refused);
            for (const r of refused) {
                logger.info(`Skipped artifact '${r.artifact.name}' (id ${r.artifact.id}, run ${r.artifact.runId}): ${r.reason}.`);
            }
            const live = trusted.map(a => fromRest(a)).sort(newestFirst);
            if (live.length > 0) {
                logger.info(`Newest artifact starting with '${prefix}' in ${this.repository}: '${live[0].name}' (id ${live[0].artifactId}, run ${live[0].workflowRunId}, ${live[0].createdAt})`);
                return live[0];
            }
            if (++pages >= MAX_REPOSITORY_PAGES)
                break;
        }
        if (untrusted.length > 0)
            throw this.untrustedError(untrusted, (0,storage_names/* describeQuery */.Qp)({ prefix }));
        if (expired.length > 0)
            throw expiredError(expired, this.repository);
        throw new errors/* StorageError */.aq(`No artifact found: looked for ${(0,storage_names/* describeQuery */.Qp)({ prefix })} among the ${seen} newest artifact(s) of ${this.repository}. ` +
            `Check '${io_names/* Input */.p.NamePrefix}' (names are case-sensitive) and '${io_names/* Input */.p.Repository}'.`);
    }
    /**
     * Splits artifacts found across the repository into those of trusted runs and the others (with the reason).
     * Anyone who can open a pull request can make a run upload an artifact with any name; by default only runs of the
     * default branch not triggered by a pull request may supply a backup.
     */
    async trustedOnly(list, enough = Infinity) {
        const trusted = [];
        const refused = [];
        for (const artifact of list) {
            if (trusted.length >= enough)
                break;
            const reason = await this.distrust(artifact.runId);
            if (reason === null)
                trusted.push(artifact);
            else
                refused.push({ artifact, reason });
        }
        return { trusted, refused };
    }
    /** null when the run's artifacts may be taken, else why not. */
    distrust(runId) {
        const trust = this.options.trust ?? { anyRun: false, branch: '', workflow: '' };
        if (trust.anyRun)
            return Promise.resolve(null);
        if (runId === null)
            return Promise.resolve('the run that made it is not known');
        let verdict = this.runVerdicts.get(runId);
        if (!verdict) {
            verdict = this.judge(runId, trust);
            this.runVerdicts.set(runId, verdict);
        }
        return verdict;
    }
    async judge(runId, trust) {
        const api = this.api();
        const run = await api.run(runId);
        if (PULL_REQUEST_EVENT.test(run.event))
            return `its run was triggered by '${run.event}'`;
        if (run.headRepository !== null && run.headRepository.toLowerCase() !== this.repository.toLowerCase()) {
            return `its run ran code from another repository (${run.headRepository})`;
        }
        const branch = trust.branch || (await (this.defaultBranch ??= api.defaultBranch()));
        if (run.headBranch !== branch) {
            return `its run was on branch '${run.headBranch ?? '?'}', not '${branch}'${trust.branch ? " ('backup-branch')" : ' (the default branch)'}`;
        }
        const workflow = external_node_path_.posix.basename(run.path.replace(/@.*$/, ''));
        if (trust.workflow && workflow !== trust.workflow) {
            return `its run was of workflow '${workflow}', not '${trust.workflow}' ('backup-workflow')`;
        }
        return null;
    }
    untrustedError(refused, what) {
        const shown = refused
            .slice(0, 5)
            .map(r => `'${r.artifact.name}' (id ${r.artifact.id}, run ${r.artifact.runId}): ${r.reason}`)
            .join('; ');
        return new errors/* StorageError */.aq(`No artifact of a trusted run found: looked for ${what} in ${this.repository}, and skipped ${refused.length} ` +
            `from runs that may not supply a backup: ${shown}. Only runs of the default branch not triggered by a pull ` +
            `request count; set 'backup-branch' or 'backup-workflow' to name the runs that make your backups, 'run-id' ` +
            `to pick one run, or 'trust-any-run: true' to take any run's artifact.`);
    }
    api() {
        return new artifact_rest/* ArtifactRestApi */.jc(this.options.githubToken, this.repository, this.env.apiUrl);
    }
    requireToken(why) {
        if (!this.options.githubToken) {
            throw new errors/* InputError */.dz(io_names/* Input */.p.GithubToken, `Input '${io_names/* Input */.p.GithubToken}' is empty but ${why} needs it: pass a token with 'actions: read' (the default '\${{ github.token }}' does, with 'permissions: { actions: read }').`);
        }
    }
    requireRepository() {
        if (!/^[\w.-]+\/[\w.-]+$/.test(this.repository)) {
            throw new errors/* InputError */.dz(io_names/* Input */.p.Repository, `Input '${io_names/* Input */.p.Repository}' must be 'owner/name' (GITHUB_REPOSITORY is not set here), got ${JSON.stringify(this.repository)}.`);
        }
    }
    artifactUrl(id) {
        return `${this.env.serverUrl}/${this.env.repository}/actions/runs/${this.env.runId ?? ''}/artifacts/${id}`;
    }
    async dropStagingDir(dir) {
        if (!this.stagingDirs.delete(dir))
            return;
        await (0,promises_.rm)(dir, { recursive: true, force: true });
    }
}
/** An artifact of this run, as the client lists it (other runs' artifacts come from the REST API: fromRest). */
function fromClient(a) {
    return {
        name: a.name,
        ref: String(a.id),
        size: a.size,
        sha256: a.digest ? a.digest.replace(/^sha256:/, '') : null,
        createdAt: a.createdAt ? a.createdAt.toISOString() : null,
        artifactId: a.id
    };
}
function fromRest(a) {
    return {
        name: a.name,
        ref: String(a.id),
        size: a.size,
        sha256: a.digest ? a.digest.replace(/^sha256:/, '') : null,
        createdAt: a.createdAt,
        artifactId: a.id,
        ...(a.runId !== null ? { workflowRunId: a.runId } : {})
    };
}
function newestFirst(a, b) {
    const t = Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? '');
    return (Number.isNaN(t) ? 0 : t) || (b.artifactId ?? 0) - (a.artifactId ?? 0);
}
function describeRest(list) {
    return list
        .slice(0, 5)
        .map(a => `'${a.name}' (id ${a.id}, run ${a.runId}, ${a.createdAt})`)
        .join(', ');
}
function expiredError(list, repository) {
    return new errors/* StorageError */.aq(`The matching artifact has expired and can no longer be downloaded: ${describeRest(list)} in ${repository}. ` +
        `Artifacts are deleted after their retention period ('${io_names/* Input */.p.RetentionDays}', at most 90): restore another backup, ` +
        `and keep long-lived backups with '${io_names/* Input */.p.Storage}: directory'.`);
}
function uploadError(error, name) {
    const message = error.message ?? String(error);
    if (/already exists|\(409\)/i.test(message)) {
        return new errors/* StorageError */.aq(`An artifact named '${name}' already exists in this run: give the backup another '${io_names/* Input */.p.Name}'.`, {
            cause: error
        });
    }
    return new errors/* StorageError */.aq(`Uploading the backup as artifact '${name}' failed: ${message}`, { cause: error });
}
/** The one file the client wrote into our empty download folder, whatever name it chose for it. */
async function singleFile(dir, name) {
    const entries = await (0,promises_.readdir)(dir);
    if (entries.length !== 1) {
        throw new errors/* StorageError */.aq(`Artifact '${name}' did not download as a single file (found ${entries.length} entries): it was not uploaded by xlr-backup.`);
    }
    const file = external_node_path_.join(dir, entries[0]);
    if (!(await (0,promises_.lstat)(file)).isFile())
        throw new errors/* StorageError */.aq(`Artifact '${name}' did not download as a regular file.`);
    return file;
}


/***/ })

};
