import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:timers/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:timers/promises");
;// CONCATENATED MODULE: ./src/shared/io-names.ts
/**
 * The names of the action's inputs (also the CLI's `--<name>` flags) and outputs. A leaf: errors, storages and
 * engines name the input at fault with these, while the descriptions and checks stay in settings/.
 */
var io_names_Input;
(function (Input) {
    Input["Mode"] = "mode";
    Input["Home"] = "home";
    Input["Storage"] = "storage";
    Input["Path"] = "path";
    Input["Name"] = "name";
    Input["NamePrefix"] = "name-prefix";
    Input["RunId"] = "run-id";
    Input["Repository"] = "repository";
    Input["GithubToken"] = "github-token";
    Input["RetentionDays"] = "retention-days";
    Input["CompressionLevel"] = "compression-level";
    Input["Exclude"] = "exclude";
    Input["Threads"] = "threads";
    Input["Port"] = "port";
    Input["StopCommand"] = "stop-command";
    Input["StartCommand"] = "start-command";
    Input["StopTimeout"] = "stop-timeout";
    Input["StartTimeout"] = "start-timeout";
    Input["Database"] = "database";
    Input["DatabaseUrl"] = "database-url";
    Input["DatabaseUsername"] = "database-username";
    Input["DatabasePassword"] = "database-password";
    Input["ArchiveDatabaseUrl"] = "archive-database-url";
    Input["ArchiveDatabaseUsername"] = "archive-database-username";
    Input["ArchiveDatabasePassword"] = "archive-database-password";
    Input["DatabaseJobs"] = "database-jobs";
    Input["DatabaseBackupCommand"] = "database-backup-command";
    Input["DatabaseRestoreCommand"] = "database-restore-command";
    Input["Components"] = "components";
    Input["PreviousPath"] = "previous-path";
    Input["SafetyDump"] = "safety-dump";
    Input["ResetIndexes"] = "reset-indexes";
    Input["AllowVersionMismatch"] = "allow-version-mismatch";
    Input["AllowForeignDatabase"] = "allow-foreign-database";
    Input["CreateDatabase"] = "create-database";
    Input["InterruptedRestore"] = "interrupted-restore";
    Input["DryRun"] = "dry-run";
    Input["EncryptionRecipients"] = "encryption-recipients";
    Input["EncryptionPassphrase"] = "encryption-passphrase";
    Input["DecryptionIdentity"] = "decryption-identity";
    Input["RequireEncryption"] = "require-encryption";
    Input["SigningKey"] = "signing-key";
    Input["TrustedSigners"] = "trusted-signers";
    Input["TrustAnyRun"] = "trust-any-run";
    Input["BackupBranch"] = "backup-branch";
    Input["BackupWorkflow"] = "backup-workflow";
    Input["HealthUrl"] = "health-url";
    Input["ClusterNodes"] = "cluster-nodes";
    Input["KeepLast"] = "keep-last";
    Input["KeepDaily"] = "keep-daily";
    Input["KeepWeekly"] = "keep-weekly";
    Input["KeepMonthly"] = "keep-monthly";
    Input["KeepYearly"] = "keep-yearly";
    Input["MaxAge"] = "max-age";
    Input["Bucket"] = "bucket";
    Input["Endpoint"] = "endpoint";
    Input["Region"] = "region";
    Input["ForcePathStyle"] = "force-path-style";
    Input["ImmutableDays"] = "immutable-days";
    Input["ImmutableMode"] = "immutable-mode";
    Input["Downtime"] = "downtime";
    Input["Owner"] = "owner";
    Input["AllowKeystoreMismatch"] = "allow-keystore-mismatch";
    Input["MaintenanceMode"] = "maintenance-mode";
})(io_names_Input || (io_names_Input = {}));
var Output;
(function (Output) {
    Output["BackupName"] = "backup-name";
    Output["BackupPath"] = "backup-path";
    Output["BackupSize"] = "backup-size";
    Output["BackupSha256"] = "backup-sha256";
    Output["XlReleaseVersion"] = "xl-release-version";
    Output["ArtifactId"] = "artifact-id";
    Output["ArtifactName"] = "artifact-name";
    Output["ArtifactUrl"] = "artifact-url";
    Output["ArtifactDigest"] = "artifact-digest";
    Output["CacheKey"] = "cache-key";
    Output["RestoredComponents"] = "restored-components";
    Output["PreviousPath"] = "previous-path";
    Output["DurationSeconds"] = "duration-seconds";
    Output["Verified"] = "verified";
    Output["StartupSeconds"] = "startup-seconds";
    Output["BackupAgeSeconds"] = "backup-age-seconds";
    Output["ObjectUrl"] = "object-url";
    Output["DowntimeSeconds"] = "downtime-seconds";
})(Output || (Output = {}));

;// CONCATENATED MODULE: external "node:http"
const external_node_http_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");
;// CONCATENATED MODULE: external "node:https"
const external_node_https_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");
;// CONCATENATED MODULE: ./src/guard/health.ts


/**
 * The vendor's health endpoint: 200 on an active node, 503 on a standby (see docs/xlr-reference: "Health"). The
 * Helm chart's probes put it under the context root, as here.
 */
const HEALTH_PATH = 'ha/health';
/**
 * The server's own health URL from conf/xl-release-server.conf: http or https (ssl), the port, the context root,
 * then the health path; asked at the bind address when it is a specific one, else at 127.0.0.1.
 */
function defaultHealthUrl(server, port) {
    const bind = server.bindAddress.trim().replace(/^\[(.*)\]$/, '$1');
    const wildcard = bind === '' || bind === '*' || bind === '0.0.0.0' || bind === '::' || /^0(:0){7}$/.test(bind);
    const host = wildcard ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
    const url = new URL(`${server.ssl ? 'https' : 'http'}://${host}:${port}`);
    const root = server.contextRoot.trim().replace(/^\/+|\/+$/g, '');
    // Assigned as a path, so a context root from the file cannot change the host or add a query.
    url.pathname = root === '' ? `/${HEALTH_PATH}` : `/${root}/${HEALTH_PATH}`;
    return url.toString();
}
/** The URL for logs and errors: a user name or password in it is replaced by '***'. */
function displayUrl(text) {
    try {
        const url = new URL(text);
        if (url.username || url.password) {
            url.username = '***';
            url.password = '';
        }
        return url.toString();
    }
    catch {
        return '(not a URL)';
    }
}
function describeAnswer(answer) {
    return 'status' in answer ? `HTTP ${answer.status}` : answer.error;
}
/** One GET with a timeout; the body is read and dropped. Never throws. */
function askHealth(target, timeoutMs) {
    return new Promise(resolve => {
        let settled = false;
        const finish = (answer) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            request.destroy();
            resolve(answer);
        };
        const url = new URL(target.url);
        const get = url.protocol === 'https:' ? external_node_https_namespaceObject.get : external_node_http_namespaceObject.get;
        const request = get(url, { rejectUnauthorized: target.verifyTls, headers: { accept: '*/*' } }, response => {
            response.resume();
            finish({ status: response.statusCode ?? 0 });
        });
        const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs} ms` }), timeoutMs);
        request.once('error', (error) => finish({ error: error.code ?? error.message }));
    });
}

;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");
;// CONCATENATED MODULE: ./src/guard/port-probe.ts

/** Errors that mean "nobody listens here" or "this address is not on this machine": both say the port is clear. */
const CLEAR_CODES = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'EADDRNOTAVAIL',
    'ENETUNREACH',
    'EHOSTUNREACH',
    'EAFNOSUPPORT',
    'ENOTFOUND',
    'EAI_AGAIN'
]);
/**
 * Where to knock: always 127.0.0.1, plus the bind address when it is a specific one. A wildcard bind (0.0.0.0, ::)
 * listens on loopback, so 127.0.0.1 and ::1 cover it (a JVM often opens one dual-stack IPv6 socket for 0.0.0.0).
 */
function addressesToProbe(bindAddress) {
    const bind = bindAddress.trim().replace(/^\[(.*)\]$/, '$1');
    if (bind === '' || bind === '0.0.0.0' || bind === '::' || /^0(:0){7}$/.test(bind) || bind === '*') {
        return ['127.0.0.1', '::1'];
    }
    return [...new Set(['127.0.0.1', bind])];
}
/** One TCP connect with a short timeout; the connection is closed at once, nothing is sent. */
function probePort(address, port, timeoutMs) {
    return new Promise(resolve => {
        const socket = external_node_net_namespaceObject.connect({ host: address, port });
        let settled = false;
        const finish = (state, code) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            resolve({ address, port, state, ...(code ? { code } : {}) });
        };
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        socket.once('connect', () => finish('open'));
        socket.once('error', (err) => {
            const code = err.code ?? 'UNKNOWN';
            finish(code === 'ECONNREFUSED' ? 'closed' : 'unreachable', code);
        });
    });
}
async function probePorts(addresses, port, portSource, timeoutMs, logger) {
    const results = await Promise.all(addresses.map(a => probePort(a, port, timeoutMs)));
    const findings = [];
    for (const r of results) {
        const where = formatHostPort(r.address, r.port);
        logger.debug(`Port probe ${where}: ${r.state}${r.code ? ` (${r.code})` : ''}`);
        if (r.state === 'open') {
            findings.push({
                probe: 'port',
                blocking: true,
                port: r.port,
                address: r.address,
                detail: `port ${r.port} (${portSource}) accepts connections at ${where}`
            });
        }
        else if (r.state === 'unreachable' && !CLEAR_CODES.has(r.code ?? '')) {
            findings.push({
                probe: 'port',
                blocking: false,
                port: r.port,
                address: r.address,
                detail: `port ${r.port} at ${where} could not be probed (${r.code}); treated as closed`
            });
        }
        else if (r.state === 'timeout') {
            // A local address that neither accepts nor refuses is odd (a firewall drop): say so, but it proves no server.
            findings.push({
                probe: 'port',
                blocking: false,
                port: r.port,
                address: r.address,
                detail: `port ${r.port} at ${where} neither accepted nor refused a connection within ${timeoutMs} ms; treated as closed`
            });
        }
    }
    return findings;
}
function formatHostPort(address, port) {
    return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: ./src/shared/child-env.ts
/**
 * The environments of the processes this tool starts. GitHub hands every input to the action as `INPUT_<NAME>`
 * (secrets included) and the CLI takes secrets from `XLR_*` variables, so `process.env` holds the database passwords,
 * the passphrase and the age identity: a child that inherited it would carry them all, and so would a server that a
 * `start-command` launches. Two shapes, built here only:
 *
 * - `toolEnv`: database tools and custom database commands get the basics a program needs to run, plus only their own
 *   credential (a 0600 file path, or for a custom command the `XLR_DB_*` variables of its one database).
 * - `commandEnv`: `stop-command`/`start-command` get the environment as it is (a service manager may need any of it)
 *   minus every secret.
 */
/** What any program needs: the search path, locale, time zone, home, temp folder, and Windows' system variables. */
const BASIC_NAMES = new Set([
    'PATH',
    'HOME',
    'USER',
    'LOGNAME',
    'LANG',
    'LANGUAGE',
    'TZ',
    'TMPDIR',
    'TMP',
    'TEMP',
    'LD_LIBRARY_PATH',
    'DYLD_LIBRARY_PATH',
    // Windows: without these a child cannot even start cmd.exe or find its profile.
    'SYSTEMROOT',
    'WINDIR',
    'COMSPEC',
    'PATHEXT',
    'USERPROFILE',
    'APPDATA',
    'LOCALAPPDATA',
    'PROGRAMDATA',
    'PROGRAMFILES',
    'SYSTEMDRIVE'
].map(n => n.toUpperCase()));
/** Client configuration (never credentials) that vendor tools of custom commands look for: Oracle, DB2, Java. */
const VENDOR_NAMES = new Set([
    'ORACLE_HOME',
    'ORACLE_BASE',
    'ORACLE_SID',
    'TNS_ADMIN',
    'NLS_LANG',
    'DB2INSTANCE',
    'DB2_HOME',
    'JAVA_HOME'
]);
/** Variables that carry the runner's own credentials (artifact/cache service, OIDC, the workflow token). */
const RUNNER_SECRET_NAMES = [/^INPUT_/i, /^ACTIONS_RUNTIME_TOKEN$/i, /^ACTIONS_ID_TOKEN_REQUEST_/i, /^GITHUB_TOKEN$/i];
const knownSecrets = new Set();
/**
 * Remembers a secret value so that no variable holding it reaches a `stop-command`/`start-command`. Every secret
 * passes through `Logger.secret` (inputs, config passwords, URL passwords), which calls this.
 */
function rememberSecret(value) {
    if (value?.trim())
        knownSecrets.add(value.trim());
}
/** Equal to a secret, or containing one long enough that the match is no coincidence (e.g. a connection string). */
function holdsSecret(value) {
    const v = value.trim();
    for (const secret of knownSecrets)
        if (v === secret || (secret.length >= 8 && v.includes(secret)))
            return true;
    return false;
}
function entries(env) {
    return Object.entries(env).filter((e) => e[1] !== undefined);
}
function isBasic(name, vendor) {
    const upper = name.toUpperCase();
    return BASIC_NAMES.has(upper) || upper.startsWith('LC_') || (vendor && VENDOR_NAMES.has(upper));
}
/**
 * A database tool's environment: the basics from `env` plus `own` (its credential file path, its libpq settings, or
 * a custom command's XLR_DB_* variables). `vendor` also passes the Oracle/DB2/Java client configuration variables.
 */
function toolEnv(own = {}, options = {}) {
    const out = {};
    for (const [name, value] of entries(options.env ?? process.env))
        if (isBasic(name, options.vendor ?? false))
            out[name] = value;
    return { ...out, ...own };
}
/** The environment of a `stop-command`/`start-command`: everything but the action's inputs, tokens and secrets. */
function commandEnv(env = process.env) {
    const out = {};
    for (const [name, value] of entries(env)) {
        if (RUNNER_SECRET_NAMES.some(p => p.test(name)))
            continue;
        if (holdsSecret(value))
            continue;
        out[name] = value;
    }
    return out;
}

;// CONCATENATED MODULE: ./src/shared/jdbc-redact.ts
/**
 * The one place that knows where a JDBC URL hides a password. Every URL that reaches a manifest, a log line, an error
 * message or a custom command's XLR_DB_URL goes through `redactJdbcUrl`; every password it holds is registered as a
 * secret through `passwordsInJdbcUrl`; command lines of other processes use the same rules (guard/redact.ts).
 *
 * Forms covered (keys case-insensitive, anything that names a password, passphrase, secret or token):
 * - query strings of every driver: `?password=…&sslpassword=…&trustStorePassword=…&clientCertificateKeyStorePassword=…`
 * - property lists: SQL Server `;password=…;` and `;password={…;…}`, DB2 `:password=…;`, H2/Derby `;PASSWORD=…`
 * - Connector/J key-value hosts: `//(host=h,port=3306,user=u,password=…)/db` and `address=(host=h)(password=…)`
 * - user info: `jdbc:mysql://user:password@host`
 * - Oracle: `jdbc:oracle:thin:user/password@…` (also with a quoted password)
 * Over-redacting costs a less helpful message; under-redacting leaks a password: every rule errs on the wide side.
 */
/** A parameter or property name that carries a secret in one driver or another. */
function isSecretKey(key) {
    return /pass(?:word|wd|phrase)|^pwd$|secret|token|credential/i.test(key.trim());
}
const KEY = String.raw `[\w.\-]*(?:pass(?:word|wd|phrase)|pwd|secret|token|credential)[\w.\-]*`;
/**
 * key=value pairs. The value runs as far as its context allows: to the next '&' in a query string, to ';' in
 * a property list (or the closing '}' of a braced value), to ',' or ')' inside Connector/J's parentheses.
 */
const PAIRS = [
    new RegExp(String.raw `([?&]\s*${KEY}\s*=\s*)([^&]*)`, 'gi'),
    new RegExp(String.raw `([;:]\s*${KEY}\s*=\s*)(\{[^}]*\}?|[^;]*)`, 'gi'),
    new RegExp(String.raw `([(,]\s*${KEY}\s*=\s*)([^,)]*)`, 'gi')
];
/** `//user:password@` up to the last '@' (a password may hold '@' or '/'). */
const USER_INFO = /(\/\/[^/@:?;()]*:)(.*)@/;
/** Oracle's `user/password@`: after the driver type, before the last '@'. */
const ORACLE = /^(jdbc:oracle:[a-z0-9]+:[^/@:]*\/)(.*)@/i;
/** The URL with every password it carries replaced by '***'. */
function redactJdbcUrl(url) {
    let out = url;
    for (const pattern of PAIRS)
        out = out.replace(pattern, (_m, kept) => `${kept}***`);
    out = out.replace(USER_INFO, (_m, kept) => `${kept}***@`);
    out = out.replace(ORACLE, (_m, kept) => `${kept}***@`);
    return out;
}
/** Every password the URL carries, as written and percent-decoded, so each can be masked. */
function passwordsInJdbcUrl(url) {
    const found = new Set();
    const add = (value) => {
        const v = value?.trim();
        if (!v || v === '***')
            return;
        found.add(v);
        const unbraced = v.replace(/^\{(.*)\}?$/, '$1').replace(/^"(.*)"$/, '$1');
        found.add(unbraced);
        try {
            found.add(decodeURIComponent(unbraced));
        }
        catch {
            // Not percent-encoded.
        }
    };
    for (const pattern of PAIRS)
        for (const m of url.matchAll(pattern))
            add(m[2]);
    add(USER_INFO.exec(url)?.[2]);
    add(ORACLE.exec(url)?.[2]);
    return [...found].filter(v => v !== '');
}

;// CONCATENATED MODULE: ./src/guard/redact.ts
/**
 * Command lines of other processes (and the user's stop/start commands) end up in log lines and error messages.
 * JVMs are often started with `-Dsome.password=…`, and stop commands with `curl -u admin:…`: hide those values.
 * Over-redacting is harmless here; a leaked password is not.
 */

const SECRET_KEY = String.raw `[\w.-]*(?:password|passwd|pwd|secret|token|passphrase|credential|api[-_.]?key)[\w.-]*`;
/** One shell word: unquoted characters and quoted stretches, e.g. `admin:'pa ss'`. */
const VALUE = String.raw `(?:[^\s'"]|'[^']*'|"[^"]*")+`;
const keepFirstGroup = (_match, kept) => `${kept}***`;
const RULES = [
    // JDBC URLs (a JVM's -D…url=jdbc:…): the same rules as the manifest's, e.g. Oracle's user/password@ and
    // Connector/J's (host=…,password=…)
    [/jdbc:\S+/gi, match => redactJdbcUrl(match)],
    // key=value and key: value, e.g. -Dxl.repository.keystore.password=…, --db-password=…, PGPASSWORD=…
    [new RegExp(String.raw `(${SECRET_KEY}\s*[=:]\s*)${VALUE}`, 'gi'), keepFirstGroup],
    // a flag followed by its value, e.g. --password …, -passphrase …
    [new RegExp(String.raw `((?:^|\s)--?${SECRET_KEY}\s+)(?!-)${VALUE}`, 'gi'), keepFirstGroup],
    // user:password@ in URLs, e.g. http://admin:admin@localhost:5516/server/shutdown
    [/(\b[a-z][\w+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, (_match, kept) => `${kept}***@`],
    // curl -u user:password / --user=user:password; without a colon curl prompts, so there is nothing to hide
    [
        new RegExp(String.raw `((?:^|\s)(?:-u|--user)(?:\s*|=))(${VALUE})`, 'g'),
        (match, flag, word) => {
            const plain = word.replace(/['"]/g, '');
            const colon = plain.indexOf(':');
            return colon < 0 ? match : `${flag}${plain.slice(0, colon)}:***`;
        }
    ]
];
function redactCommandLine(text) {
    let out = text;
    for (const [pattern, replacer] of RULES)
        out = out.replace(pattern, replacer);
    return out;
}
const MAX_COMMAND_LINE_CHARS = 400;
/** Redacted first, then shortened: a cut must never split a secret out of reach of the patterns. */
function displayCommandLine(text, max = MAX_COMMAND_LINE_CHARS) {
    const clean = redactCommandLine(text.replace(/\s+/g, ' ').trim());
    if (clean.length <= max)
        return clean;
    return `${clean.slice(0, max)}… (${clean.length - max} more characters)`;
}

;// CONCATENATED MODULE: ./src/guard/shell-command.ts



/** After the shell exits, how long its output may still trickle in before we stop reading. */
const OUTPUT_GRACE_MS = 500;
const KILL_GRACE_MS = 2000;
/** Commands still running, by label, so a cancel can end a stop-command that would stop the server after a restart. */
const running = new Map();
/** Kills every command with this label still running, with all it started. */
function killRunningCommands(label) {
    for (const [pid, l] of running)
        if (l === label)
            killTree(pid, process.platform !== 'win32');
}
/**
 * Runs a user's stop/start command through the system shell (sh -c, cmd.exe on Windows), every output line to the
 * logger. It resolves when the shell exits, not when its output closes: `bin/run.sh &` leaves a server holding our
 * pipe forever. On POSIX the command gets its own process group so a deadline kills all it started.
 */
function runShellCommand(command, label, deadlineMs, logger) {
    return new Promise((resolve, reject) => {
        const posix = process.platform !== 'win32';
        logger.info(`Running the ${label}: ${displayCommandLine(command)}`);
        const child = (0,external_node_child_process_namespaceObject.spawn)(command, {
            shell: true,
            // Never the action's inputs, tokens or secrets: a start-command launches the server, which would keep them.
            env: commandEnv(),
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: posix,
            windowsHide: true
        });
        const forward = (stream, level) => {
            let pending = '';
            stream?.setEncoding('utf8');
            stream?.on('data', (chunk) => {
                const lines = (pending + chunk).split(/\r?\n/);
                pending = lines.pop() ?? '';
                for (const line of lines)
                    logger[level](`[${label}] ${line}`);
            });
            stream?.on('end', () => {
                if (pending)
                    logger[level](`[${label}] ${pending}`);
                pending = '';
            });
            stream?.on('error', () => undefined);
        };
        if (child.pid !== undefined)
            running.set(child.pid, label);
        forward(child.stdout, 'info');
        forward(child.stderr, 'info');
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            killTree(child.pid, posix);
        }, Math.max(0, deadlineMs));
        child.once('error', err => {
            if (child.pid !== undefined)
                running.delete(child.pid);
            clearTimeout(timer);
            reject(err);
        });
        child.once('exit', (exitCode, signal) => {
            if (child.pid !== undefined)
                running.delete(child.pid);
            clearTimeout(timer);
            const done = () => resolve({ exitCode: timedOut ? null : exitCode, signal, timedOut });
            if (child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false)
                return done();
            const grace = setTimeout(() => {
                logger.debug(`The ${label} left processes holding its output; no longer reading it.`);
                child.stdout?.destroy();
                child.stderr?.destroy();
                done();
            }, OUTPUT_GRACE_MS);
            child.once('close', () => {
                clearTimeout(grace);
                done();
            });
        });
    });
}
function killTree(pid, posix) {
    if (pid === undefined)
        return;
    const signalGroup = (signal) => {
        try {
            if (posix)
                process.kill(-pid, signal);
            else
                (0,external_node_child_process_namespaceObject.spawn)('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
        }
        catch {
            // Already gone.
        }
    };
    signalGroup('SIGTERM');
    if (posix)
        setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
}

;// CONCATENATED MODULE: ./src/guard/start-server.ts





/** Why a start did not bring the server up; the caller words the message around `reason`. */
class StartFailure extends Error {
}
/**
 * Runs the start-command and waits until the port answers and then the health URL says HTTP 200, all within
 * `timeoutSeconds`; returns the seconds from the start-command to healthy (the startup time). Shared by the guard and
 * the action's post step, which has no home to read: everything it needs is in the request.
 */
async function startAndWait(req, logger) {
    const deadline = Date.now() + req.timeoutSeconds * 1000;
    const started = Date.now();
    let run;
    try {
        run = await runShellCommand(req.command, 'start-command', deadline - Date.now(), logger);
    }
    catch (err) {
        throw new StartFailure(`the start-command could not be run (${err.message})`);
    }
    if (run.timedOut) {
        throw new StartFailure(`the start-command did not return within start-timeout (${req.timeoutSeconds} s) and was killed. It must return once the ` +
            "server is launched: use e.g. 'systemctl start xl-release' or 'nohup bin/run.sh > /dev/null 2>&1 &'");
    }
    if (run.exitCode !== 0) {
        const how = run.exitCode === null ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
        throw new StartFailure(`the start-command ${how} (its output is in the log above)`);
    }
    for (;;) {
        const open = await portAnswers(req);
        if (open) {
            logger.info(`XL Release is up again: port ${req.port} answers at ${formatHostPort(open, req.port)} ` +
                `(${((Date.now() - started) / 1000).toFixed(1)} s after the start-command).`);
            if (req.health)
                await waitUntilHealthy(req, req.health, deadline, logger);
            return (Date.now() - started) / 1000;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
            throw new StartFailure(`nothing answered on port ${req.port} (${req.addresses.map(a => formatHostPort(a, req.port)).join(', ')}) within ` +
                `start-timeout (${req.timeoutSeconds} s) after the start-command; increase 'start-timeout' if the server starts slowly`);
        }
        await (0,promises_namespaceObject.setTimeout)(Math.min(req.pollIntervalMs, left));
    }
}
/**
 * A port that accepts connections is not yet a usable server: asks the health URL until it answers 200. A 503 (a
 * standby node, or a server still starting) or no answer means not yet.
 */
async function waitUntilHealthy(req, health, deadline, logger) {
    const shown = displayUrl(health.url);
    let last = null;
    for (;;) {
        // Asked with its whole probe timeout even near the deadline: a request cut short would report a timeout of its own.
        const answer = await askHealth(health, req.probeTimeoutMs);
        if ('status' in answer && answer.status === 200) {
            logger.info(`XL Release is healthy: ${shown} answers HTTP 200.`);
            return;
        }
        if (last === null || describeAnswer(last) !== describeAnswer(answer)) {
            logger.info(`Waiting for ${shown} to answer HTTP 200; it answers: ${describeAnswer(answer)}.`);
        }
        last = answer;
        const after = deadline - Date.now();
        if (after <= 0) {
            throw new StartFailure(`${shown} did not answer HTTP 200 within ${io_names_Input.StartTimeout} (${req.timeoutSeconds} s) after the start-command; ` +
                `its last answer was ${describeAnswer(answer)}. The server may still be starting (increase '${io_names_Input.StartTimeout}'), ` +
                `be a standby node (503), or the URL may be wrong (set '${io_names_Input.HealthUrl}', or 'none' to wait for the port only)`);
        }
        await (0,promises_namespaceObject.setTimeout)(Math.min(req.pollIntervalMs, after));
    }
}
/** The first address where the port accepts a connection, or null. */
async function portAnswers(req) {
    const results = await Promise.all(req.addresses.map(a => probePort(a, req.port, req.probeTimeoutMs)));
    return results.find(r => r.state === 'open')?.address ?? null;
}

;// CONCATENATED MODULE: ./src/lifecycle/post-state.ts
/**
 * The action's record, through core.saveState, of a server the main step stopped and has not started yet. The post
 * step (`post-if: always()`) reads it: set means main ended (killed, or its start failed) with the server down.
 */
const SERVER_STOPPED_STATE = 'server-stopped';
function encodeStoppedServer(server) {
    return JSON.stringify(server);
}
/** The recorded server, or null when nothing is pending (empty) or the record is not one we wrote. */
function decodeStoppedServer(text) {
    if (!text)
        return null;
    try {
        const v = JSON.parse(text);
        const portOk = typeof v.port === 'number' && Number.isInteger(v.port) && v.port >= 1 && v.port <= 65535;
        const addressesOk = Array.isArray(v.addresses) && v.addresses.every(a => typeof a === 'string');
        if (typeof v.home !== 'string' || !portOk || !addressesOk)
            return null;
        return { home: v.home, port: v.port, addresses: v.addresses, health: healthOf(v.health) };
    }
    catch {
        return null;
    }
}
/** A recorded health target; anything else (an older record, a foreign one) means the port alone. */
function healthOf(value) {
    const h = value;
    if (typeof h?.url !== 'string' || typeof h.verifyTls !== 'boolean' || !/^https?:\/\//i.test(h.url))
        return null;
    return { url: h.url, verifyTls: h.verifyTls };
}

;// CONCATENATED MODULE: ./src/report/workflow-commands.ts
/** What @actions/core's getInput reads: INPUT_<NAME> with spaces as underscores, trimmed. */
function getInput(name) {
    return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}
/** What the main step saved with core.saveState: the runner hands it to the post step as STATE_<name>. */
function getState(name) {
    return process.env[`STATE_${name}`] ?? '';
}
/** A workflow command's data: '%', CR and LF are escaped as the runner expects. */
function escapeData(text) {
    return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function write(line) {
    process.stdout.write(`${line}\n`);
}
const commandLogger = {
    debug: m => write(`::debug::${escapeData(m)}`),
    info: m => write(m),
    warning: m => write(`::warning::${escapeData(m)}`),
    error: m => write(`::error::${escapeData(m)}`),
    secret: v => {
        if (v)
            write(`::add-mask::${escapeData(v)}`);
    },
    group: async (title, fn) => {
        write(`::group::${escapeData(title)}`);
        try {
            return await fn();
        }
        finally {
            write('::endgroup::');
        }
    }
};
/** An error annotation, and the step fails when the process ends. */
function setFailed(message) {
    commandLogger.error(message);
    process.exitCode = 1;
}

;// CONCATENATED MODULE: external "node:fs/promises"
const external_node_fs_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: ./src/format/restore-work-dir.ts
/**
 * A restore stages in `<home>/.xlr-restore-<id>/`: restore finds unfinished restores by this prefix, and backup
 * leaves such folders out. Part of the format because both sides must agree on it.
 */
const WORK_DIR_PREFIX = '.xlr-restore-';

;// CONCATENATED MODULE: ./src/shared/errors.ts
/**
 * Every failure the user can act on is one of these: a message that names the input or file at fault and the fix.
 * Callers branch with instanceof; front ends print `message` (never a stack) and fail the job.
 */
class XlrBackupError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = new.target.name;
    }
}
/** A user-supplied input (action input or CLI flag) is missing, malformed or contradicts another. */
class InputError extends XlrBackupError {
    input;
    constructor(input, message, options) {
        super(message, options);
        this.input = input;
    }
}
/** The folder given as `home` is not an XL Release server home. */
class NotAHomeError extends XlrBackupError {
    path;
    constructor(path, message) {
        super(message);
        this.path = path;
    }
}
/** A configuration file of the home could not be parsed. */
class ConfigParseError extends XlrBackupError {
    file;
    line;
    constructor(file, line, detail) {
        super(`${file}:${line}: ${detail}`);
        this.file = file;
        this.line = line;
    }
}
/** A probe saw the XL Release server running (or could not prove it stopped). */
class ServerRunningError extends (/* unused pure expression or super */ null && (XlrBackupError)) {
}
/** The backup archive is damaged, foreign, or disagrees with its manifest. */
class IntegrityError extends (/* unused pure expression or super */ null && (XlrBackupError)) {
}
/** A database tool failed, is missing, or the target database is unsuitable. */
class DatabaseError extends (/* unused pure expression or super */ null && (XlrBackupError)) {
}
/** A storage backend could not save, find or fetch a backup. */
class StorageError extends (/* unused pure expression or super */ null && (XlrBackupError)) {
}
/** Encryption or decryption failed (wrong key, tampered ciphertext, missing key). */
class EncryptionError extends (/* unused pure expression or super */ null && (XlrBackupError)) {
}
/** A restore was refused or failed (RestoreFailedError, its subclass, also says whether the home was rolled back). */
class RestoreError extends XlrBackupError {
}
/** A backup's signature is missing, invalid, or made by a key the restore does not trust. */
class SignatureError extends (/* unused pure expression or super */ null && (XlrBackupError)) {
}

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: ./src/shared/private-files.ts



/** Backups hold every secret of the server: whatever we write for them is readable by the owner only. */
const private_files_PRIVATE_FILE_MODE = 0o600;
const private_files_PRIVATE_DIR_MODE = 0o700;
let runFolder = null;
/** The running job's private folder (see lifecycle/run-folder.ts): the default parent of every temporary folder. */
function setRunFolder(dir) {
    runFolder = dir;
}
function currentRunFolder() {
    return runFolder;
}
/** A new owner-only temporary folder under `parent` (default: the run folder, else the OS temp folder). */
async function makePrivateTempDir(prefix, parent = runFolder ?? os.tmpdir()) {
    const dir = await mkdtemp(path.join(parent, prefix));
    await chmod(dir, private_files_PRIVATE_DIR_MODE);
    return dir;
}
/** Creates (or truncates) `file` with mode 0600 before a byte is written, and returns a handle to it. */
async function openPrivateFile(file) {
    const handle = await open(file, 'w', private_files_PRIVATE_FILE_MODE);
    try {
        // open() honours the umask only at creation; an existing file keeps its mode, so set it explicitly.
        await handle.chmod(private_files_PRIVATE_FILE_MODE);
    }
    catch (error) {
        await handle.close();
        throw error;
    }
    return handle;
}
/** Creates (or truncates) `file` with mode 0600 before a byte is written, and returns a stream to it. */
async function createPrivateWriteStream(file) {
    const handle = await openPrivateFile(file);
    // The handle's own stream closes the handle; a raw fd would be closed twice (once more when the handle is collected).
    return handle.createWriteStream();
}
/** Writes `data` to `file` owner-only (for option files that hold a password, a manifest, a journal). */
async function writePrivateFile(file, data) {
    const handle = await open(file, 'w', private_files_PRIVATE_FILE_MODE);
    try {
        await handle.chmod(private_files_PRIVATE_FILE_MODE);
        await handle.writeFile(data);
    }
    finally {
        await handle.close();
    }
}

;// CONCATENATED MODULE: ./src/restore-engine/fs-ops.ts


/** lstat that answers null for a missing path instead of throwing. */
async function fs_ops_lstatOrNull(p) {
    try {
        return await (0,external_node_fs_promises_namespaceObject.lstat)(p);
    }
    catch (err) {
        if (err.code === 'ENOENT')
            return null;
        throw err;
    }
}
async function exists(p) {
    return (await fs_ops_lstatOrNull(p)) !== null;
}
/** The closest existing ancestor of `p` (itself when it exists): where a folder we will create would live. */
async function nearestExisting(p) {
    let cur = external_node_path_namespaceObject.resolve(p);
    while (!(await exists(cur))) {
        const parent = external_node_path_namespaceObject.dirname(cur);
        if (parent === cur)
            break;
        cur = parent;
    }
    return cur;
}
/**
 * The real path `p` has or would have once created: its nearest existing ancestor with symlinks resolved, plus the
 * part still to be created. Paths stored in a journal are in this form, so a later run can compare them exactly.
 */
async function realPathOf(p) {
    const anchor = await nearestExisting(p);
    return path.join(await realpath(anchor), path.relative(anchor, path.resolve(p)));
}
/** Bytes and files below `p` without following links; block-rounded so it estimates what a copy occupies. */
async function treeSize(p) {
    const st = await fs_ops_lstatOrNull(p);
    if (!st)
        return { bytes: 0, files: 0, blocks: 0 };
    if (!st.isDirectory())
        return { bytes: st.size, files: 1, blocks: roundToBlock(st.size) };
    let bytes = 0;
    let files = 0;
    let blocks = BLOCK;
    // An explicit stack keeps deep trees off the call stack and memory flat (one directory listing at a time).
    const stack = [p];
    while (stack.length > 0) {
        const dir = stack.pop();
        for (const entry of await readdir(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                stack.push(full);
                blocks += BLOCK;
            }
            else {
                const s = await lstat(full);
                bytes += s.size;
                files++;
                blocks += roundToBlock(s.size);
            }
        }
    }
    return { bytes, files, blocks };
}
const BLOCK = 4096;
function roundToBlock(n) {
    return Math.max(BLOCK, Math.ceil(n / BLOCK) * BLOCK);
}
/** fsync a folder so the renames and creations inside it survive a crash. */
async function fs_ops_fsyncDir(dir) {
    const handle = await open(dir, 'r');
    try {
        await handle.sync();
    }
    finally {
        await handle.close();
    }
}
/** Atomic rename (same filesystem) made durable in both folders. */
async function fs_ops_durableRename(from, to) {
    await rename(from, to);
    await fs_ops_fsyncDir(path.dirname(to));
    if (path.dirname(from) !== path.dirname(to))
        await fs_ops_fsyncDir(path.dirname(from));
}
async function defaultStatfs(p) {
    const s = await nodeStatfs(p);
    return { bavail: s.bavail, bsize: s.bsize, files: s.files, ffree: s.ffree };
}
/** Removes `dir` only when it is an empty folder; answers whether it did. */
async function removeIfEmpty(dir) {
    try {
        await rmdir(dir);
        return true;
    }
    catch {
        return false;
    }
}
async function isEmptyDir(dir) {
    try {
        return (await readdir(dir)).length === 0;
    }
    catch (err) {
        if (err.code === 'ENOENT')
            return true;
        throw err;
    }
}

;// CONCATENATED MODULE: ./src/restore-engine/indexes.ts






/** The Jackrabbit search indexes of a JCR-era home (≤7.2); the server rebuilds them at start when they are empty. */
const JCR_INDEX_FOLDERS = [
    'repository/repository/index',
    'repository/workspaces/default/index',
    'repository/workspaces/security/index'
];
/** Where index contents moved aside are kept, inside the previous folder. */
const INDEX_KEEP_DIR = 'jcr-indexes';
function decideIndexReset(i) {
    if (i.folders.length === 0) {
        return { reset: false, reason: 'no JCR index folders (SQL-era home): nothing to reset', folders: [] };
    }
    if (i.mode === 'false')
        return { reset: false, reason: `'${Input.ResetIndexes}' is false`, folders: [] };
    if (i.mode === 'true')
        return { reset: true, reason: `'${Input.ResetIndexes}' is true`, folders: i.folders };
    if (!i.hasDatabases) {
        return {
            reset: false,
            reason: 'the database is embedded in repository/ and moves with it: indexes and data stay from one moment',
            folders: []
        };
    }
    if (i.repositoryRestored !== i.databasesRestored) {
        const only = i.repositoryRestored ? 'repository/' : 'the databases';
        const kept = i.repositoryRestored ? 'the current databases' : 'the current repository/';
        return {
            reset: true,
            reason: `only ${only} restored: ${kept} come from another moment, so the indexes would not match`,
            folders: i.folders
        };
    }
    if (i.repositoryRestored && i.databaseSource === 'separate') {
        return {
            reset: true,
            reason: 'the databases come from a separate dump, not from the moment of the repository/ folder',
            folders: i.folders
        };
    }
    return {
        reset: false,
        reason: i.repositoryRestored
            ? 'repository/ and the databases come from the same backup'
            : 'neither repository/ nor the databases are restored',
        folders: []
    };
}
/** Index folders present in the backup's home. */
function indexFoldersInBackup(files) {
    const found = new Set();
    for (const f of files) {
        for (const folder of JCR_INDEX_FOLDERS)
            if (f.path.startsWith(`${HOME_PREFIX}${folder}/`))
                found.add(folder);
    }
    return JCR_INDEX_FOLDERS.filter(folder => found.has(folder));
}
/** Index folders present in a home on disk. */
async function indexFoldersInHome(home) {
    const found = [];
    for (const folder of JCR_INDEX_FOLDERS) {
        const st = await lstatOrNull(path.join(home, folder));
        if (st?.isDirectory())
            found.push(folder);
    }
    return found;
}
/**
 * Empties one index folder by moving each entry into the previous folder (renames, so nothing is deleted and the
 * move can be undone). Safe to repeat: entries already moved are no longer in the source.
 */
async function moveIndexContentsAside(home, previousDir, folder) {
    const src = path.join(home, folder);
    if (!(await lstatOrNull(src))?.isDirectory())
        return 0;
    const keep = path.join(previousDir, INDEX_KEEP_DIR, folder);
    await mkdir(keep, { recursive: true, mode: PRIVATE_DIR_MODE });
    let moved = 0;
    for (const name of await readdir(src)) {
        await durableRename(path.join(src, name), path.join(keep, name));
        moved++;
    }
    return moved;
}
/** Undoes `moveIndexContentsAside`. Safe to repeat. */
async function moveIndexContentsBack(home, previousDir, folder) {
    const keep = path.join(previousDir, INDEX_KEEP_DIR, folder);
    if (!(await lstatOrNull(keep))?.isDirectory())
        return 0;
    const dest = path.join(home, folder);
    let moved = 0;
    for (const name of await readdir(keep)) {
        await durableRename(path.join(keep, name), path.join(dest, name));
        moved++;
    }
    return moved;
}

;// CONCATENATED MODULE: ./src/restore-engine/journal-schema.ts



/*
 * A journal found in the home tells a later run which folders to rename back and which to delete. Anyone who can
 * write into the home (or copy it) can leave one there, so nothing in it is taken on trust: every field has one
 * allowed shape, every path is derived from the home and the restore id and must match what the journal says, and
 * the journal must belong to the very home folder it was found in (not a copy of it).
 */
const JOURNAL_FORMAT = 'xlr-restore-journal';
/** 2 records the home's identity; 1 (before it) is still read when all its paths are inside its work folder. */
const JOURNAL_VERSION = 2;
const STATES = [
    'staging',
    'swapping',
    'done',
    'rolling-back',
    'rolled-back',
    'rollback-failed'
];
const STEP_KINDS = [
    'staged',
    'conf-rewritten',
    'moved-aside',
    'moved-in',
    'safety-dump-started',
    'safety-dump-done',
    'db-restore-started',
    'db-restore-done',
    'index-reset-started',
    'index-reset-done',
    'index-restored',
    'db-rolled-back',
    'moved-out',
    'moved-back'
];
const ROLES = ['repository', 'archive'];
const ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,99}$/;
const TEXT_LIMIT = 64 * 1024;
/** The journal names something it must not: the message says which field, why, and what to do. */
class ForeignJournalError extends RestoreError {
}
/**
 * Checks the shape of a parsed journal: exactly the known fields, each of its type, names and roles from fixed sets,
 * and every path equal to the one the home and the id give. Throws ForeignJournalError naming the field.
 */
function parseJournal(value, file) {
    const bad = (field, why) => {
        throw foreign(file, `its ${field} ${why}`);
    };
    const j = record(value, 'the journal', bad);
    if (j.format !== JOURNAL_FORMAT)
        bad('format', `is ${show(j.format)}, not '${JOURNAL_FORMAT}'`);
    if (j.version !== 1 && j.version !== JOURNAL_VERSION)
        bad('version', `is ${show(j.version)}, not 1 or 2`);
    const known = [
        'format',
        'version',
        'id',
        'home',
        'homeIdentity',
        'homeCreated',
        'workDir',
        'stagingDir',
        'previousDir',
        'backupName',
        'startedAt',
        'state',
        'swapsBegan',
        'components',
        'databases',
        'indexFolders',
        'steps',
        'failure'
    ];
    for (const key of Object.keys(j))
        if (!known.includes(key))
            bad(`field ${show(key)}`, 'is not a journal field');
    const id = journal_schema_text(j.id, 'id', bad);
    if (!ID.test(id))
        bad('id', `${show(id)} is not a restore id (letters, digits, '-' and '_')`);
    const home = absolute(j.home, 'home', bad);
    const workDir = absolute(j.workDir, 'workDir', bad);
    if (workDir !== external_node_path_namespaceObject.join(home, `.xlr-restore-${id}`))
        bad('workDir', `${show(workDir)} is not <home>/.xlr-restore-${id}`);
    const stagingDir = absolute(j.stagingDir, 'stagingDir', bad);
    if (stagingDir !== external_node_path_namespaceObject.join(workDir, 'staging'))
        bad('stagingDir', `${show(stagingDir)} is not <workDir>/staging`);
    const previousDir = absolute(j.previousDir, 'previousDir', bad);
    const previousInside = previousDir === external_node_path_namespaceObject.join(workDir, 'previous');
    if (!previousInside && external_node_path_namespaceObject.basename(previousDir) !== `xlr-restore-${id}`) {
        bad('previousDir', `${show(previousDir)} is neither <workDir>/previous nor a folder named xlr-restore-${id}`);
    }
    if (isInside(home, previousDir))
        bad('previousDir', `${show(previousDir)} holds the home itself`);
    let homeIdentity;
    if (j.version === JOURNAL_VERSION) {
        const idt = record(j.homeIdentity, 'homeIdentity', bad);
        for (const key of Object.keys(idt))
            if (key !== 'dev' && key !== 'ino')
                bad(`homeIdentity.${key}`, 'is unknown');
        homeIdentity = { dev: count(idt.dev, 'homeIdentity.dev', bad), ino: count(idt.ino, 'homeIdentity.ino', bad) };
    }
    else {
        if (j.homeIdentity !== undefined)
            bad('homeIdentity', 'is not part of a version 1 journal');
        if (!previousInside) {
            bad('previousDir', `${show(previousDir)} is outside the home, and a version 1 journal does not record which home it belongs to`);
        }
    }
    const components = list(j.components, 'components', bad).map((c, i) => {
        const o = record(c, `components[${i}]`, bad);
        only(o, ['name', 'hadCurrent'], `components[${i}]`, bad);
        const name = journal_schema_text(o.name, `components[${i}].name`, bad);
        if (!isTopLevelName(name))
            bad(`components[${i}].name`, `${show(name)} is not the name of an entry of the home`);
        return { name, hadCurrent: flag(o.hadCurrent, `components[${i}].hadCurrent`, bad) };
    });
    unique(components.map(c => c.name), 'components', bad);
    for (const c of components) {
        if (isInside(previousDir, external_node_path_namespaceObject.join(home, c.name))) {
            bad('previousDir', `${show(previousDir)} is inside ${c.name}/, which the restore replaces`);
        }
    }
    const databases = list(j.databases, 'databases', bad).map((d, i) => {
        const o = record(d, `databases[${i}]`, bad);
        only(o, ['role', 'safetyDumpDir'], `databases[${i}]`, bad);
        const role = o.role;
        if (!ROLES.includes(role))
            bad(`databases[${i}].role`, `${show(o.role)} is not repository or archive`);
        const dump = o.safetyDumpDir;
        if (dump !== null && dump !== external_node_path_namespaceObject.join(previousDir, 'databases', role)) {
            bad(`databases[${i}].safetyDumpDir`, `${show(dump)} is not null nor <previousDir>/databases/${role}`);
        }
        return { role, safetyDumpDir: dump };
    });
    unique(databases.map(d => d.role), 'databases', bad);
    const indexFolders = list(j.indexFolders, 'indexFolders', bad).map((f, i) => {
        if (typeof f !== 'string' || !JCR_INDEX_FOLDERS.includes(f)) {
            bad(`indexFolders[${i}]`, `${show(f)} is not one of the JCR index folders`);
        }
        return f;
    });
    unique(indexFolders, 'indexFolders', bad);
    const targets = new Set([...components.map(c => c.name), ...databases.map(d => d.role), ...indexFolders]);
    const steps = list(j.steps, 'steps', bad).map((s, i) => {
        const o = record(s, `steps[${i}]`, bad);
        only(o, ['kind', 'target', 'at'], `steps[${i}]`, bad);
        const kind = o.kind;
        if (!STEP_KINDS.includes(kind))
            bad(`steps[${i}].kind`, `${show(o.kind)} is not a journal step`);
        const target = journal_schema_text(o.target, `steps[${i}].target`, bad);
        if (!targets.has(target) && !(kind === 'conf-rewritten' && target === 'conf')) {
            bad(`steps[${i}].target`, `${show(target)} is none of the journal's components, databases or index folders`);
        }
        return { kind, target, at: journal_schema_text(o.at, `steps[${i}].at`, bad) };
    });
    const state = j.state;
    if (!STATES.includes(state))
        bad('state', `${show(j.state)} is not a journal state`);
    const journal = {
        format: JOURNAL_FORMAT,
        version: j.version,
        id,
        home,
        homeCreated: flag(j.homeCreated, 'homeCreated', bad),
        workDir,
        stagingDir,
        previousDir,
        backupName: journal_schema_text(j.backupName, 'backupName', bad),
        startedAt: journal_schema_text(j.startedAt, 'startedAt', bad),
        state,
        swapsBegan: flag(j.swapsBegan, 'swapsBegan', bad),
        components,
        databases,
        indexFolders,
        steps
    };
    if (homeIdentity)
        journal.homeIdentity = homeIdentity;
    if (j.failure !== undefined)
        journal.failure = failureText(j.failure, bad);
    return journal;
}
function foreign(file, detail) {
    const workDir = external_node_path_namespaceObject.dirname(file);
    return new ForeignJournalError(`Refusing the restore journal ${file}: ${detail}. A journal written by a restore of this home only names ` +
        `paths inside it (and its 'previous-path' folder), so this one was planted, edited, or belongs to another ` +
        `home; acting on it could rename or delete folders anywhere. Nothing was changed. Look at ${workDir} by hand: ` +
        `if no restore of this home left it, delete that folder (rm -rf '${workDir}') and run again; if one did, ` +
        `move its folders back by hand as its staging/ and previous/ folders show. See docs/restore.md, ` +
        `"Interrupted restores".`);
}
function record(v, field, bad) {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        return bad(field, 'is not an object');
    return v;
}
function only(o, keys, field, bad) {
    for (const key of Object.keys(o))
        if (!keys.includes(key))
            bad(`${field}.${key}`, 'is not a journal field');
}
function list(v, field, bad) {
    if (!Array.isArray(v))
        return bad(field, 'is not a list');
    if (v.length > 10_000)
        return bad(field, 'has more than 10000 items');
    return v;
}
/** A string of sane length without control characters: the journal's text reaches the log, where they could forge lines. */
function journal_schema_text(v, field, bad) {
    if (typeof v !== 'string')
        return bad(field, 'is not a string');
    if (v.length > TEXT_LIMIT)
        return bad(field, `is longer than ${TEXT_LIMIT} characters`);
    if ([...v].some(isControl))
        return bad(field, 'holds control characters');
    return v;
}
/** The last failure is a tool's message as it came (it may hold escapes): kept, with controls other than \n shown as '?'. */
function failureText(v, bad) {
    if (typeof v !== 'string')
        return bad('failure', 'is not a string');
    return [...v.slice(0, TEXT_LIMIT)].map(c => (c !== '\n' && isControl(c) ? '?' : c)).join('');
}
function isControl(c) {
    const code = c.codePointAt(0);
    return code < 0x20 || code === 0x7f;
}
function flag(v, field, bad) {
    if (typeof v !== 'boolean')
        return bad(field, 'is not true or false');
    return v;
}
function count(v, field, bad) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
        return bad(field, 'is not a whole number');
    return v;
}
/** An absolute path already in normal form: no '..', '.', doubled or trailing slashes to play with. */
function absolute(v, field, bad) {
    const p = journal_schema_text(v, field, bad);
    if (!external_node_path_namespaceObject.isAbsolute(p) || external_node_path_namespaceObject.normalize(p) !== p || (p.length > 1 && p.endsWith(external_node_path_namespaceObject.sep))) {
        return bad(field, `${show(p)} is not an absolute path in normal form`);
    }
    return p;
}
/** One entry directly in the home: no separators, not '.'/'..', and not a restore's own work folder. */
function isTopLevelName(name) {
    return (name !== '' &&
        name !== '.' &&
        name !== '..' &&
        !name.includes('/') &&
        !name.includes('\\') &&
        !name.startsWith('.xlr-restore-'));
}
function unique(values, field, bad) {
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined)
        bad(field, `names ${show(dup)} twice`);
}
function show(v) {
    const s = typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
function isInside(child, parent) {
    const rel = external_node_path_namespaceObject.relative(parent, child);
    return rel === '' || (!rel.startsWith('..') && !external_node_path_namespaceObject.isAbsolute(rel));
}

;// CONCATENATED MODULE: ./src/restore-engine/journal-check.ts




/**
 * Checks that a well-formed journal found at `file` was written by a restore of the home folder `home` (its real
 * path): found in its own work folder, naming this home, written by this user and private, recorded for this very
 * folder (a copied home has another inode), and with a previous folder reached through no symlink.
 */
async function checkJournalBelongs(file, journal, home) {
    const realHome = await (0,external_node_fs_promises_namespaceObject.realpath)(home);
    if (journal.home !== realHome) {
        throw foreign(file, `it names the home ${journal.home}, but it was found in ${realHome} (a copied or moved home?)`);
    }
    if (external_node_path_namespaceObject.dirname(file) !== journal.workDir) {
        throw foreign(file, `it names the work folder ${journal.workDir}, but it was found in ${external_node_path_namespaceObject.dirname(file)}`);
    }
    if (journal.homeIdentity) {
        const st = await (0,external_node_fs_promises_namespaceObject.stat)(realHome);
        if (st.dev !== journal.homeIdentity.dev || st.ino !== journal.homeIdentity.ino) {
            throw foreign(file, `it was written for another folder than ${realHome} is now (device/inode ${journal.homeIdentity.dev}/` +
                `${journal.homeIdentity.ino}, now ${st.dev}/${st.ino}): the home is a copy, or was replaced, since`);
        }
    }
    const uid = process.getuid?.();
    for (const [what, p, isDir] of [
        ['work folder', journal.workDir, true],
        ['journal file', file, false]
    ]) {
        const st = await (0,external_node_fs_promises_namespaceObject.lstat)(p);
        if (isDir ? !st.isDirectory() : !st.isFile())
            throw foreign(file, `its ${what} ${p} is not a plain ${isDir ? 'folder' : 'file'}`);
        if (uid !== undefined && st.uid !== uid) {
            throw foreign(file, `its ${what} ${p} belongs to user ${st.uid}, not to the user running the restore (${uid})`);
        }
        if ((st.mode & 0o022) !== 0) {
            throw foreign(file, `its ${what} ${p} can be written by other users (mode ${(st.mode & 0o777).toString(8)})`);
        }
    }
    if (!isInside(journal.previousDir, journal.workDir)) {
        await checkNoLinks(file, journal.previousDir);
        await checkOwnerMark(file, journal);
    }
}
/**
 * A previous folder outside the home gets this file when the restore creates it, naming the restore and its home: a
 * journal can only send a rollback to a folder outside the home that a restore of this home made for it.
 */
const OWNER_MARK = 'xlr-restore-owner.json';
function ownerMark(journal) {
    return JSON.stringify({ id: journal.id, home: journal.home, homeIdentity: journal.homeIdentity ?? null });
}
async function writeOwnerMark(journal) {
    await writeFile(path.join(journal.previousDir, OWNER_MARK), ownerMark(journal), { mode: 0o600, flag: 'wx' });
}
async function removeOwnerMark(journal) {
    await rm(path.join(journal.previousDir, OWNER_MARK), { force: true });
}
async function checkOwnerMark(file, journal) {
    if (!(await fs_ops_lstatOrNull(journal.previousDir)))
        return; // nothing there to move back or delete
    const mark = external_node_path_namespaceObject.join(journal.previousDir, OWNER_MARK);
    const st = await fs_ops_lstatOrNull(mark);
    const text = st?.isFile() && st.size < 64 * 1024 ? await (0,external_node_fs_promises_namespaceObject.readFile)(mark, 'utf8') : null;
    if (text !== ownerMark(journal)) {
        throw foreign(file, `its previous folder ${journal.previousDir} outside the home ${st ? 'has another' : 'lacks the'} ${OWNER_MARK} ` +
            `that the restore writes there, so it is not the folder this restore made`);
    }
}
/** The previous folder outside the home must be reached through real folders only, as the restore wrote it. */
async function checkNoLinks(file, previousDir) {
    const anchor = await nearestExisting(previousDir);
    const real = await (0,external_node_fs_promises_namespaceObject.realpath)(anchor);
    if (real !== anchor) {
        throw foreign(file, `its previous folder ${previousDir} goes through a symlink (${anchor} is really ${real})`);
    }
    const st = await fs_ops_lstatOrNull(previousDir);
    if (st && !st.isDirectory())
        throw foreign(file, `its previous folder ${previousDir} is not a folder`);
}

;// CONCATENATED MODULE: ./src/restore-engine/journal.ts








const JOURNAL_FILE = 'journal.json';
/** Far above any real journal (a few KB: one line per step of a handful of components). */
const MAX_JOURNAL_BYTES = 16 * 1024 * 1024;
/**
 * The journal is the restore's memory across a crash: written to a temporary file, fsynced, renamed over the old one
 * and the folder fsynced, so after a power cut it is either the previous version or the new one, never half.
 */
async function writeJournal(journal) {
    const file = path.join(journal.workDir, JOURNAL_FILE);
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, 'w', PRIVATE_FILE_MODE);
    try {
        await handle.writeFile(`${JSON.stringify(journal, null, 2)}\n`);
        await handle.sync();
    }
    finally {
        await handle.close();
    }
    await rename(tmp, file);
    await fsyncDir(journal.workDir);
}
async function readJournal(file) {
    let parsed;
    try {
        // A planted journal may be a link to anything or huge: only a plain file of a sane size is read.
        const st = await (0,external_node_fs_promises_namespaceObject.lstat)(file);
        if (!st.isFile())
            throw new Error('it is not a plain file');
        if (st.size > MAX_JOURNAL_BYTES)
            throw new Error(`it is larger than ${MAX_JOURNAL_BYTES} bytes`);
        parsed = JSON.parse(await (0,external_node_fs_promises_namespaceObject.readFile)(file, 'utf8'));
    }
    catch (err) {
        throw new RestoreError(`The restore journal ${file} cannot be read (${err.message}). It records a restore that did not ` +
            `finish; inspect the folder next to it by hand (staging/ holds what was being restored, previous/ what it ` +
            `replaced) before deleting it.`, { cause: err });
    }
    return parseJournal(parsed, file);
}
class JournalWriter {
    journal;
    onStep;
    constructor(journal, onStep) {
        this.journal = journal;
        this.onStep = onStep;
    }
    async step(kind, target) {
        const step = { kind, target, at: new Date().toISOString() };
        this.journal.steps.push(step);
        await writeJournal(this.journal);
        if (this.onStep)
            await this.onStep(step, this.journal);
    }
    async setState(state, failure) {
        this.journal.state = state;
        if (failure !== undefined)
            this.journal.failure = failure;
        await writeJournal(this.journal);
    }
    has(kind, target) {
        return this.journal.steps.some(s => s.kind === kind && s.target === target);
    }
}
/** Journals in the home of restores that neither finished nor were rolled back. */
async function findUnfinishedJournals(home) {
    let names;
    try {
        names = await (0,external_node_fs_promises_namespaceObject.readdir)(home);
    }
    catch (err) {
        if (err.code === 'ENOENT')
            return [];
        throw err;
    }
    const found = [];
    for (const name of names.filter(n => n.startsWith(WORK_DIR_PREFIX)).sort()) {
        const file = external_node_path_namespaceObject.join(home, name, JOURNAL_FILE);
        let journal;
        try {
            journal = await readJournal(file);
        }
        catch (err) {
            if (err.code === 'ENOENT' || isMissing(err))
                continue;
            throw err;
        }
        if (journal.state === 'done' || journal.state === 'rolled-back')
            continue;
        // Only an unfinished journal is acted on, so only it has to prove it belongs to this very home.
        await checkJournalBelongs(file, journal, await (0,external_node_fs_promises_namespaceObject.realpath)(home));
        found.push({ file, journal });
    }
    return found;
}
function isMissing(err) {
    const cause = err.cause;
    return cause?.code === 'ENOENT';
}

;// CONCATENATED MODULE: ./src/settings/inputs.ts


/**
 * Every input of the action, in one table: the action reads them with @actions/core, the CLI as `--<name>` flags,
 * and action.yml, the README tables and the CLI help are generated from this table (scripts/write-generated.ts; a
 * test keeps them in step). The names themselves are in shared/io-names.ts, so every layer can name an input.
 */
const INPUTS = [
    {
        name: io_names_Input.Mode,
        default: 'backup',
        description: "What to do: 'backup' (archive the home and dump its databases), 'restore' (put a backup back into the home), 'verify' (prove a backup restorable without touching any home), or 'prune' (only the rotation: delete the backups under 'name-prefix' that no 'keep-*' rule keeps)."
    },
    {
        name: io_names_Input.Home,
        default: '',
        description: 'Path of the XL Release server home (XL_RELEASE_SERVER_HOME: the folder holding conf/, lib/, repository/). Required for backup and restore.'
    },
    {
        name: io_names_Input.Storage,
        default: 'artifact',
        description: "Where backups go and are found: 'artifact' (a workflow artifact), 'directory' (a folder on the runner, e.g. a NAS mount; set 'path'), 'cache' (the Actions cache; for handing a backup between jobs, or on GitHub Enterprise Server), 's3' (AWS S3 or an S3-compatible store: GCS, R2, MinIO, Ceph; set 'bucket'), or 'azure' (Azure Blob Storage; set 'bucket' and 'endpoint')."
    },
    {
        name: io_names_Input.Path,
        default: '',
        description: "With 'storage: directory', the folder that holds the backups. With 'storage: artifact', the folder the backup file is written to before it is uploaded (default: the runner's temp folder). With 's3' and 'azure', the key (blob name) prefix inside the bucket, like a folder: 'xlr/prod' stores 'xlr/prod/<name>' (default: the top). Not used with 'storage: cache'."
    },
    {
        name: io_names_Input.Name,
        default: '',
        description: "Backup: the backup's name (default 'xlr-backup-<host>-<UTC time>', unique and sortable). Restore/verify: the exact name of the backup to fetch."
    },
    {
        name: io_names_Input.NamePrefix,
        default: '',
        description: "Restore/verify: fetch the newest backup whose name starts with this prefix (e.g. 'xlr-backup-prod-'); use instead of 'name'. Backup/prune: the backups a rotation ('keep-*') acts on, required with any 'keep-*'; a backup without 'name' is called '<name-prefix><UTC time>'."
    },
    {
        name: io_names_Input.RunId,
        default: '',
        description: "Restore/verify with 'storage: artifact': the workflow run that uploaded the backup (default: this run)."
    },
    {
        name: io_names_Input.Repository,
        default: '${{ github.repository }}',
        description: "Restore/verify: the 'owner/name' repository whose runs hold the backup."
    },
    {
        name: io_names_Input.GithubToken,
        default: '${{ github.token }}',
        description: "Token to read artifacts of other runs ('run-id' or 'name-prefix'); needs 'actions: read' on 'repository'."
    },
    {
        name: io_names_Input.RetentionDays,
        default: '',
        description: "Days to keep the backup artifact: 1 to the repository's maximum (90 on public repositories, up to 400 on private and internal ones; a larger value is cut to it with a warning). Empty or 0: the repository's default."
    },
    {
        name: io_names_Input.CompressionLevel,
        default: '1',
        description: "Deflate level for the backup ZIP, 0 (store) to 9 (smallest). The default 1 is the fastest (the server is down meanwhile): about 3% larger than 'zip -6' on a typical home, in about half the CPU time of level 6. Files that are already compressed (jars, zips, images) are always stored."
    },
    {
        name: io_names_Input.Exclude,
        default: '',
        description: "Newline-separated globs, relative to the home, of files to leave out (e.g. 'log/**'). By default nothing is left out, as the vendor recommends."
    },
    {
        name: io_names_Input.Threads,
        default: '0',
        description: 'How many threads compress and unpack at once; 0 uses every core. Lower it on a busy machine.'
    },
    {
        name: io_names_Input.Port,
        default: '',
        description: "The server's HTTP port, when 'http.port' in conf/xl-release-server.conf is not the one it listens on."
    },
    {
        name: io_names_Input.StopCommand,
        default: '',
        description: "Shell command that stops the server (e.g. 'sudo systemctl stop xl-release'). Without it a running server makes the action fail."
    },
    {
        name: io_names_Input.StartCommand,
        default: '',
        description: 'Shell command that starts the server again after the work, also when the work failed (only when the action stopped it).'
    },
    {
        name: io_names_Input.Downtime,
        default: 'minimal',
        description: "Backup: 'minimal' copies the home into a snapshot on its own filesystem before the stop, and while the server is stopped copies only what changed since and captures the databases (database snapshots), starts the server, then writes the backup from that moment; 'full' keeps the server stopped until the backup file is written. Needs 'start-command' and a running server (a stopped one is backed up from its home, without a copy); falls back to 'full' with a warning when the home's filesystem lacks the space or MySQL/MariaDB tables are not transactional."
    },
    {
        name: io_names_Input.StopTimeout,
        default: '300',
        description: "Seconds to wait, after 'stop-command', for the port to close and the server's processes to end."
    },
    {
        name: io_names_Input.StartTimeout,
        default: '600',
        description: "Seconds to wait, after 'start-command', for the server's port to answer and then for 'health-url' to answer HTTP 200."
    },
    {
        name: io_names_Input.HealthUrl,
        default: '',
        description: "URL that answers HTTP 200 once the started server is usable (a 503, as from a standby node, means not yet). Default: the server's own '/ha/health' from conf/xl-release-server.conf (port, context root, ssl), asked on this host. 'none' waits for the port only. Credentials in it are never logged."
    },
    {
        name: io_names_Input.ClusterNodes,
        default: '',
        description: "The other nodes of a cluster, one per line: 'host:port' (their HTTP port) or their health URL. Backup and restore first prove every one down (port closed, no HTTP answer) and refuse naming a node still up. Required when conf/xl-release.conf makes the home a cluster node ('xl.cluster.mode' hot-standby or full); 'none' says this node runs alone."
    },
    {
        name: io_names_Input.Database,
        default: 'auto',
        description: "'auto' dumps the external databases found in conf/xl-release.conf, 'none' skips databases, or an engine ('postgresql', 'mysql', 'mariadb', 'oracle', 'sqlserver', 'db2') to force one."
    },
    {
        name: io_names_Input.DatabaseUrl,
        default: '',
        description: 'JDBC URL of the repository database, overriding the one in the config (restore: the target database).'
    },
    {
        name: io_names_Input.DatabaseUsername,
        default: '',
        description: 'User of the repository database, overriding the config.'
    },
    {
        name: io_names_Input.DatabasePassword,
        default: '',
        secret: true,
        description: 'Password of the repository database (from a secret). Needed when the config holds an encrypted {b64} password.'
    },
    {
        name: io_names_Input.ArchiveDatabaseUrl,
        default: '',
        description: 'JDBC URL of the archive (reporting) database, overriding the config (restore: the target database).'
    },
    {
        name: io_names_Input.ArchiveDatabaseUsername,
        default: '',
        description: 'User of the archive database, overriding the config.'
    },
    {
        name: io_names_Input.ArchiveDatabasePassword,
        default: '',
        secret: true,
        description: 'Password of the archive database (from a secret).'
    },
    {
        name: io_names_Input.DatabaseJobs,
        default: '1',
        description: 'Parallel jobs for pg_dump/pg_restore. Above 1, PostgreSQL dumps use the directory format, which dumps tables in parallel.'
    },
    {
        name: io_names_Input.DatabaseBackupCommand,
        default: '',
        description: 'Shell command that dumps a database the action has no built-in tool for (Oracle, SQL Server, DB2). It gets XLR_DB_* variables; see docs/databases.md.'
    },
    {
        name: io_names_Input.DatabaseRestoreCommand,
        default: '',
        description: "Shell command that restores such a dump; the counterpart of 'database-backup-command'."
    },
    {
        name: io_names_Input.Components,
        default: 'default',
        description: "Restore: what to restore. 'default' is the user data (repository, conf, ext, plugins, and archive, hotfix, reports when present, plus the databases); 'all' is the complete home; or a comma-separated list (add 'databases' for the dumps)."
    },
    {
        name: io_names_Input.PreviousPath,
        default: '',
        description: 'Restore: folder that keeps everything the restore replaced (default: a .xlr-restore-<id>/previous folder in the home). Must be on the same filesystem as the home.'
    },
    {
        name: io_names_Input.SafetyDump,
        default: 'true',
        description: 'Restore: dump each database into the previous folder before overwriting it.'
    },
    {
        name: io_names_Input.ResetIndexes,
        default: 'auto',
        description: "Restore: empty the JCR search indexes so the server rebuilds them. 'auto' does it when the repository folder and the database come from different moments; 'true' always; 'false' never."
    },
    {
        name: io_names_Input.AllowVersionMismatch,
        default: 'false',
        description: "Restore: allow restoring data into a home whose XL Release version differs from the backup's (restoring 'all' is always allowed: that is how an upgrade is rolled back)."
    },
    {
        name: io_names_Input.AllowForeignDatabase,
        default: 'false',
        description: "Restore: allow restoring into a non-empty database whose tables are not XL Release's. Check 'database-url' first."
    },
    {
        name: io_names_Input.CreateDatabase,
        default: 'false',
        description: 'Restore/verify: create a target database that does not exist yet.'
    },
    {
        name: io_names_Input.InterruptedRestore,
        default: '',
        description: "Restore: what to do with a restore that was interrupted earlier (the runner died): 'rollback' puts the home back as it was before it, 'finish' completes it."
    },
    {
        name: io_names_Input.DryRun,
        default: 'false',
        description: "Restore: print the plan (what is replaced, what is kept where, which databases are overwritten, space needed) and change nothing. Backup/prune: print the rotation's plan (every backup kept, with its rule, and every one it would delete) and delete nothing."
    },
    {
        name: io_names_Input.EncryptionRecipients,
        default: '',
        description: "Backup: age public keys ('age1…'), one per line, to encrypt the backup to. The backup job needs no secret."
    },
    {
        name: io_names_Input.EncryptionPassphrase,
        default: '',
        secret: true,
        description: 'Backup: encrypt with this passphrase instead (restore/verify: decrypt with it). From a secret.'
    },
    {
        name: io_names_Input.DecryptionIdentity,
        default: '',
        secret: true,
        description: "Restore/verify: age secret key(s) ('AGE-SECRET-KEY-1…') that open an encrypted backup. From a secret."
    },
    {
        name: io_names_Input.RequireEncryption,
        default: 'false',
        description: 'Refuse to write (backup) or read (restore/verify) a backup that is not encrypted.'
    },
    {
        name: io_names_Input.SigningKey,
        default: '',
        secret: true,
        description: "Backup: an Ed25519 private key in OpenSSH format, without passphrase (from a secret; make one with \"ssh-keygen -t ed25519 -N ''\"). The backup is signed with it ('<file>.sig', an SSH signature); see 'trusted-signers'."
    },
    {
        name: io_names_Input.TrustedSigners,
        default: '',
        description: "Restore/verify: public keys ('ssh-ed25519 AAAA… comment', or allowed_signers lines), one per line. When set, a backup that is unsigned or signed by another key is refused before it is opened. Backup/prune with 'keep-*': the rotation counts only backups signed by one of these keys; the others are kept and named."
    },
    {
        name: io_names_Input.TrustAnyRun,
        default: 'false',
        description: "Restore/verify with 'storage: artifact' searching the repository ('name-prefix', or 'name' without 'run-id'): also take backups from pull-request runs and other branches. By default only runs of 'backup-branch' not triggered by a pull request count."
    },
    {
        name: io_names_Input.BackupBranch,
        default: '',
        description: "Restore/verify with 'storage: artifact' searching the repository: the branch whose runs made the backups (default: the repository's default branch)."
    },
    {
        name: io_names_Input.BackupWorkflow,
        default: '',
        description: "Restore/verify with 'storage: artifact' searching the repository: only take backups made by this workflow file (e.g. 'nightly-backup.yml'; default: any workflow)."
    },
    {
        name: io_names_Input.KeepLast,
        default: '',
        description: "Backup/prune rotation: keep the newest N backups under 'name-prefix'. The 'keep-*' rules work as restic's 'forget': a backup any rule keeps is kept, the others are deleted (after the new backup is stored). Needs 'name-prefix'; deleting artifacts and cache entries needs 'actions: write'."
    },
    {
        name: io_names_Input.KeepDaily,
        default: '',
        description: 'Backup/prune rotation: keep the newest backup of each of the last N days (UTC) that have one, counted back from the newest backup.'
    },
    {
        name: io_names_Input.KeepWeekly,
        default: '',
        description: 'Backup/prune rotation: keep the newest backup of each of the last N ISO weeks (Monday to Sunday, UTC) that have one.'
    },
    {
        name: io_names_Input.KeepMonthly,
        default: '',
        description: 'Backup/prune rotation: keep the newest backup of each of the last N calendar months (UTC) that have one.'
    },
    {
        name: io_names_Input.KeepYearly,
        default: '',
        description: 'Backup/prune rotation: keep the newest backup of each of the last N years (UTC) that have one.'
    },
    {
        name: io_names_Input.MaxAge,
        default: '',
        description: "Verify: fail the job when the newest backup under 'name-prefix' is older than this ('26h', '8d', '2w'; units s, m, h, d, w), naming it and its age: an alarm for backups that silently stopped. The backup is still verified."
    },
    {
        name: io_names_Input.Bucket,
        default: '',
        description: "'storage: s3': the bucket; 'storage: azure': the container. Required for both. Credentials never come from inputs: the AWS SDK's standard chain (aws-actions/configure-aws-credentials) or, for Azure, azure/login or AZURE_STORAGE_CONNECTION_STRING in 'env:'."
    },
    {
        name: io_names_Input.Endpoint,
        default: '',
        description: "'storage: s3': the service URL of an S3-compatible store (e.g. 'https://storage.googleapis.com', 'https://<account>.r2.cloudflarestorage.com'); empty = AWS. 'storage: azure': the account URL 'https://<account>.blob.core.windows.net' (not needed with AZURE_STORAGE_CONNECTION_STRING)."
    },
    {
        name: io_names_Input.Region,
        default: '',
        description: "'storage: s3': the bucket's region (default: AWS_REGION, else AWS_DEFAULT_REGION, else 'us-east-1')."
    },
    {
        name: io_names_Input.ForcePathStyle,
        default: 'false',
        description: "'storage: s3': address the bucket as '<endpoint>/<bucket>' instead of '<bucket>.<endpoint>'; 'true' for MinIO, Ceph and most self-hosted servers."
    },
    {
        name: io_names_Input.ImmutableDays,
        default: '',
        description: "Backup with 's3' or 'azure': keep the new backup immutable for this many days (S3 Object Lock retention, or an Azure blob immutability policy): nobody, not even a stolen token, can delete or change it meanwhile. The bucket must have Object Lock (the container version-level immutability): checked before the server stops."
    },
    {
        name: io_names_Input.ImmutableMode,
        default: 'governance',
        description: "With 'immutable-days': 'governance' (users with a special permission may still lift it; Azure: an unlocked policy) or 'compliance' (nobody can, not even the account's root, until it expires; Azure: a locked policy)."
    },
    {
        name: io_names_Input.Owner,
        default: '',
        description: "Restore as root: give every restored file and folder this owner, 'user:group' (names or numbers, e.g. '10001:0' for the vendor's container image), instead of the owners the backup recorded."
    },
    {
        name: io_names_Input.AllowKeystoreMismatch,
        default: 'false',
        description: 'Restore: allow a result that leaves a database next to another conf/repository-keystore.jceks than the one it was backed up with (every password and credential stored in it is then unreadable).'
    },
    {
        name: io_names_Input.MaintenanceMode,
        default: 'auto',
        description: "Restore: set 'xl.maintenance.enabled = true' in the restored conf/xl-release.conf. 'auto': only for a drill (database inputs pointing elsewhere than the backed-up conf); 'true': always; 'false': never."
    }
];
const OUTPUTS = [
    { name: Output.BackupName, description: 'Name of the backup made, restored or verified.' },
    {
        name: Output.BackupPath,
        description: "Path of the stored backup file with 'storage: directory'; empty with 'artifact' and 'cache' storage, whose local copy is removed once uploaded."
    },
    { name: Output.BackupSize, description: 'Size of the backup file in bytes.' },
    { name: Output.BackupSha256, description: 'SHA-256 of the backup file (of the ciphertext when encrypted).' },
    { name: Output.XlReleaseVersion, description: 'XL Release version of the backed-up home (empty when unknown).' },
    { name: Output.ArtifactId, description: "ID of the uploaded artifact ('storage: artifact')." },
    { name: Output.ArtifactName, description: "Name of the uploaded artifact ('storage: artifact')." },
    { name: Output.ArtifactUrl, description: "Link to the artifact on the run's page ('storage: artifact')." },
    {
        name: Output.ArtifactDigest,
        description: 'SHA-256 digest of the artifact, in hex, as actions/upload-artifact gives it.'
    },
    { name: Output.CacheKey, description: "Cache key of the saved or restored backup ('storage: cache')." },
    {
        name: Output.ObjectUrl,
        description: "The stored backup: 's3://<bucket>/<key>' ('storage: s3') or the blob's URL ('storage: azure')."
    },
    {
        name: Output.RestoredComponents,
        description: 'Restore: comma-separated components restored (or planned, in a dry run).'
    },
    {
        name: Output.PreviousPath,
        description: 'Restore: folder that keeps everything the restore replaced, until you delete it.'
    },
    { name: Output.DurationSeconds, description: 'How long the work took, in seconds.' },
    { name: Output.Verified, description: "Verify: 'true' when every entry and dump checked out." },
    {
        name: Output.StartupSeconds,
        description: "Seconds from 'start-command' until the server answered HTTP 200 at 'health-url' (empty when this run did not start it)."
    },
    {
        name: Output.BackupAgeSeconds,
        description: "Verify with 'max-age': age in seconds of the newest backup under 'name-prefix' (set also when it is too old)."
    },
    {
        name: Output.DowntimeSeconds,
        description: "Backup: seconds the server was down, from the moment it was proven stopped to the run of 'start-command' (empty when the run did not stop it)."
    }
];

;// CONCATENATED MODULE: ./src/post.ts





const POLL_MS = 1000;
const PROBE_TIMEOUT_MS = 1500;
const DEFAULT_START_TIMEOUT = 600;
/**
 * The action's post step (`post-if: always()`): when the main step stopped XL Release and ended without starting it
 * again (the runner killed it after a cancel or timeout, or it crashed), run the start-command. It does nothing when
 * the main step recorded nothing, when the server already answers, and it refuses while a restore it interrupted has
 * half-changed the home (starting the server on that would be worse than leaving it down).
 */
async function runPost() {
    const recorded = getState(SERVER_STOPPED_STATE);
    const server = decodeStoppedServer(recorded);
    if (!server) {
        if (recorded)
            commandLogger.warning(`The main step left a record this post step does not understand; nothing is started.`);
        else
            commandLogger.debug('The main step left no stopped server behind: nothing to do.');
        return;
    }
    const probe = { port: server.port, addresses: server.addresses, probeTimeoutMs: PROBE_TIMEOUT_MS };
    commandLogger.info(`The main step stopped XL Release (home ${server.home}) and did not start it again.`);
    if (await portAnswers(probe)) {
        commandLogger.info(`XL Release already answers on port ${server.port}: nothing to start.`);
        return;
    }
    let changing;
    try {
        changing = (await findUnfinishedJournals(server.home)).filter(j => j.journal.swapsBegan).map(j => j.file);
    }
    catch (error) {
        setFailed(`XL Release was not started: the restore journal in ${server.home} cannot be read (${error.message}). ` +
            'Check the home, then start the server by hand.');
        return;
    }
    if (changing.length > 0) {
        setFailed(`XL Release was not started: the main step was killed while a restore was changing the home (journal ` +
            `${changing.join(', ')}). Run the action again with 'mode: restore' and '${io_names_Input.InterruptedRestore}: rollback' ` +
            `(or 'finish'), then start the server.`);
        return;
    }
    const command = getInput(io_names_Input.StartCommand);
    if (!command) {
        setFailed(`XL Release is stopped and no '${io_names_Input.StartCommand}' is set: start it by hand.`);
        return;
    }
    const timeoutSeconds = startTimeout(getInput(io_names_Input.StartTimeout));
    try {
        await startAndWait({
            command,
            timeoutSeconds,
            port: server.port,
            addresses: server.addresses,
            pollIntervalMs: POLL_MS,
            probeTimeoutMs: PROBE_TIMEOUT_MS,
            health: server.health
        }, commandLogger);
    }
    catch (error) {
        setFailed(`Starting XL Release in the post step failed: ${error.message}. Start it by hand.`);
    }
}
function startTimeout(text) {
    const n = Number(text || DEFAULT_START_TIMEOUT);
    return Number.isInteger(n) && n >= 1 && n <= 86400 ? n : DEFAULT_START_TIMEOUT;
}

;// CONCATENATED MODULE: ./src/post-main.ts
/** The action's post entry point (dist/post/index.js): a bundle of its own, so it can never run a backup. */

void runPost();

