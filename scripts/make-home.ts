/**
 * Builds a realistic XL Release 24.x server home for tests, the quick start and the benchmark:
 *
 *   npx tsx scripts/make-home.ts <dir> [--scale N]
 *
 * Scale 1 is ~650 MB in ~21 000 files: ~250 jars of incompressible data (~350 MB) in lib/, plugins, an embedded H2
 * database file of mixed text and binary pages (~150 MB), ~20 000 small XML-like repository files in nested folders,
 * JCR index folders, a Derby archive database, large text logs, executables, an empty folder and relative symlinks.
 * Fractional scales (0.005) make a home of a few MB for unit tests. Content is random (not reproducible between runs);
 * memory stays flat because everything is written in chunks of at most 1 MiB.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface MakeHomeOptions {
  /** 1 ≈ 650 MB in ~21 000 files; sizes and counts scale linearly (counts stay at least 1). */
  scale?: number
}

export interface MadeHome {
  dir: string
  files: number
  bytes: number
  version: string
}

export const SAMPLE_VERSION = '24.1.3'
const MiB = 1024 * 1024
const RELEASE_DATE = new Date('2024-05-14T09:30:00Z')

export async function makeHome(dir: string, options: MakeHomeOptions = {}): Promise<MadeHome> {
  const scale = options.scale ?? 1
  if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${scale}`)
  const w = new HomeWriter(path.resolve(dir))
  const n = (count: number): number => Math.max(1, Math.round(count * scale))
  const bytes = (b: number): number => Math.max(1024, Math.round(b * scale))

  await fsp.mkdir(w.root, { recursive: true })

  // bin/: executables and a relative link.
  await w.text('bin/run.sh', RUN_SH, 0o755)
  await w.text('bin/server.sh', RUN_SH.replace('run.sh', 'server.sh'), 0o755)
  await w.text(
    'bin/install-service.sh',
    '#!/bin/sh\nexec "$(dirname "$0")/../serviceWrapper/bin/wrapper.sh" -i "$@"\n',
    0o755
  )
  await w.text(
    'bin/run.cmd',
    '@echo off\r\njava -cp "conf;hotfix\\lib\\*;lib\\*" com.xebialabs.xlrelease.XLReleaseBootstrapper %*\r\n'
  )
  await w.link('bin/xl-release.sh', 'run.sh')

  // conf/: the configuration, the keystore (binary), logging.
  await w.text('conf/xl-release-server.conf', SERVER_CONF)
  await w.text('conf/xl-release.conf', XLR_CONF)
  await w.random('conf/repository-keystore.jceks', 3 * 1024)
  await w.text('conf/logback.xml', LOGBACK)
  await w.text(
    'conf/xlr-wrapper-linux.conf',
    'wrapper.java.app.mainclass=com.xebialabs.xlrelease.XLReleaseBootstrapper\nwrapper.ntservice.name=xl-release\nwrapper.logfile=log/wrapper.log\n'
  )
  await w.text(
    'conf/xl-release-license.lic',
    `--- License ---\nLicense version: 3\nProduct: XL Release\nLicensed to: Example Corp\n${crypto.randomBytes(256).toString('base64')}\n`
  )
  await w.link('conf/logback-active.xml', '../conf/logback.xml')

  // lib/: ~250 jars, ~350 MB, incompressible like real jars; one names the version.
  const jarSizes = sizes(n(250), bytes(350 * MiB))
  for (let i = 0; i < jarSizes.length; i++) {
    const name =
      i === 0
        ? `xlr-server-${SAMPLE_VERSION}.jar`
        : `${JAR_WORDS[i % JAR_WORDS.length]}-${i}.${(i * 7) % 13}.${i % 5}.jar`
    await w.random(`lib/${name}`, jarSizes[i], RELEASE_DATE)
  }

  // plugins/: the product's and the customer's own.
  const pluginSizes = sizes(n(40), bytes(30 * MiB))
  for (let i = 0; i < pluginSizes.length; i++)
    await w.random(`plugins/xlr-official/xlr-plugin-${i}-${SAMPLE_VERSION}.jar`, pluginSizes[i], RELEASE_DATE)
  await w.random('plugins/__local__/acme-xlr-integration-1.2.0.jar', 40 * 1024)
  await w.random('plugins/__local__/acme-notifier-0.9.xldp', 25 * 1024)

  // ext/ and hotfix/: customer scripts and patches.
  await w.text(
    'ext/synthetic.xml',
    '<synthetic xmlns="http://www.xebialabs.com/deployit/synthetic">\n  <type type="acme.Task" extends="xlrelease.PythonScript"/>\n</synthetic>\n'
  )
  await w.text('ext/acme/Task.py', 'import json\nprint(json.dumps({"ok": True}))\n')
  await w.text('ext/acme/tool.sh', '#!/bin/sh\necho acme\n', 0o750)
  await w.random(`hotfix/lib/xlr-hotfix-${SAMPLE_VERSION}-1.jar`, 60 * 1024)
  await fsp.mkdir(path.join(w.root, 'hotfix/plugins'), { recursive: true })

  // repository/: the embedded H2 database (mixed pages), ~20 000 small XML-like files, JCR index folders.
  await w.mixed('repository/xl-release.mv.db', bytes(150 * MiB))
  await w.text('repository/xl-release.trace.db', logText(8 * 1024))
  const xmlCount = Math.max(3, Math.round(20_000 * scale))
  for (let i = 0; i < xmlCount; i++) {
    const a = (i % 32).toString(16).padStart(2, '0')
    const b = (Math.floor(i / 32) % 24).toString(16).padStart(2, '0')
    await w.text(
      `repository/workspaces/default/data/${a}/${b}/Release${i}.xml`,
      xmlText(300 + ((i * 2654435761) % 5500))
    )
  }
  for (const index of [
    'repository/repository/index',
    'repository/workspaces/default/index',
    'repository/workspaces/security/index'
  ]) {
    for (let s = 0; s < n(6); s++) {
      await w.mixed(`${index}/_${s}/_${s}.cfs`, Math.round(bytes(2 * MiB) / 6) + 1024)
      await w.text(`${index}/_${s}/segments_${s}`, `segment ${s}\n`)
    }
    await w.text(`${index}/indexes_1`, 'indexes\n')
  }

  // archive/: the embedded Derby archive database.
  await w.text('archive/db/service.properties', 'derby.storage.propertiesId=16\nderby.database.collation=UCS_BASIC\n')
  for (let i = 0; i < n(40); i++)
    await w.mixed(`archive/db/seg0/c${(i * 16).toString(16)}.dat`, bytes(256 * 1024) + 8192)
  await w.text('archive/db/log/log1.dat', logText(64 * 1024))

  // reports/, log/, and folders that are empty on a stopped server.
  await w.textStream('reports/2024-05/release-audit.csv', bytes(512 * 1024), csvText)
  await w.textStream('log/xl-release.log', bytes(40 * MiB), logText)
  await w.textStream('log/access.log', bytes(12 * MiB), logText)
  await w.textStream('log/audit.log', bytes(2 * MiB), logText)
  await w.gzip('log/xl-release-2024-05-13.log.gz', logText(bytes(4 * MiB)))
  await fsp.mkdir(path.join(w.root, 'work'), { recursive: true })
  await fsp.mkdir(path.join(w.root, 'export'), { recursive: true })
  await fsp.mkdir(path.join(w.root, 'serviceWrapper/bin'), { recursive: true })
  await w.text('serviceWrapper/bin/wrapper.sh', '#!/bin/sh\necho wrapper\n', 0o755)

  return { dir: w.root, files: w.files, bytes: w.bytes, version: SAMPLE_VERSION }
}

/** `count` sizes summing to about `total`, skewed like a lib/ folder: many small jars, a few large ones. */
function sizes(count: number, total: number): number[] {
  const weights = Array.from(
    { length: count },
    (_, i) => 0.2 + Math.exp(-((i * 37) % count) / (count / 4)) * 3 + ((i * 13) % 7) / 7
  )
  const sum = weights.reduce((a, b) => a + b, 0)
  return weights.map(wt => Math.max(512, Math.round((wt / sum) * total)))
}

class HomeWriter {
  files = 0
  bytes = 0

  constructor(readonly root: string) {}

  private readonly made = new Set<string>()

  // Synchronous calls: 20 000 small files are written in a fraction of the time thread-pool round trips take.
  private async open(rel: string): Promise<string> {
    const abs = path.join(this.root, rel)
    const parent = path.dirname(abs)
    if (!this.made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true })
      this.made.add(parent)
    }
    return abs
  }

  async text(rel: string, content: string, mode?: number): Promise<void> {
    const abs = await this.open(rel)
    fs.writeFileSync(abs, content)
    if (mode !== undefined) fs.chmodSync(abs, mode)
    this.files++
    this.bytes += Buffer.byteLength(content)
  }

  /** Large text files, generated and written a chunk at a time. */
  textStream(rel: string, size: number, generate: (size: number) => string): Promise<void> {
    return this.stream(rel, size, max => Buffer.from(generate(max)))
  }

  async link(rel: string, target: string): Promise<void> {
    const abs = await this.open(rel)
    await fsp.symlink(target, abs)
    this.files++
  }

  /** Streams chunks from `next(remaining)` into the file so memory stays flat. */
  private async stream(rel: string, size: number, next: (max: number) => Buffer, mtime?: Date): Promise<void> {
    const abs = await this.open(rel)
    const fd = fs.openSync(abs, 'w', 0o644)
    try {
      let left = size
      while (left > 0) {
        const chunk = next(Math.min(left, MiB))
        fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left))
        left -= Math.min(chunk.length, left)
      }
    } finally {
      fs.closeSync(fd)
    }
    if (mtime) await fsp.utimes(abs, mtime, mtime)
    this.files++
    this.bytes += size
  }

  random(rel: string, size: number, mtime?: Date): Promise<void> {
    return this.stream(rel, size, randomBytes, mtime)
  }

  /** Database-like pages: runs of text (rows, XML, JSON) alternating with runs of random binary pages. */
  mixed(rel: string, size: number): Promise<void> {
    let page = 0
    return this.stream(rel, size, max => {
      const parts: Buffer[] = []
      let len = 0
      while (len < max) {
        const run = Math.min(max - len, 4096 * (4 + ((page * 7) % 29)))
        parts.push(page % 3 === 1 ? randomBytes(run) : Buffer.from(xmlText(run)).subarray(0, run))
        len += run
        page++
      }
      return Buffer.concat(parts, len)
    })
  }

  async gzip(rel: string, content: string): Promise<void> {
    const { gzipSync } = await import('node:zlib')
    const data = gzipSync(content)
    const abs = await this.open(rel)
    await fsp.writeFile(abs, data)
    this.files++
    this.bytes += data.length
  }
}

const JAR_WORDS = [
  'akka-actor_2.13',
  'jackson-databind',
  'spring-core',
  'hibernate-core',
  'guava',
  'slf4j-api',
  'logback-classic',
  'netty-handler',
  'commons-lang3',
  'jython-standalone',
  'scala-library',
  'xlr-api',
  'xlr-engine',
  'h2',
  'derby',
  'postgresql',
  'mysql-connector-j',
  'bcprov-jdk18on',
  'jetty-server',
  'pekko-stream'
]
const WORDS = [
  'release',
  'phase',
  'task',
  'gate',
  'template',
  'folder',
  'variable',
  'owner',
  'status',
  'COMPLETED',
  'IN_PROGRESS',
  'PLANNED',
  'Applications',
  'script',
  'deploy',
  'approve',
  'jenkins',
  'jira',
  'comment',
  'attachment'
]

/** AES-CTR over zeros: incompressible bytes at GB/s, where crypto.randomBytes manages ~100 MB/s. */
const ZEROS = Buffer.alloc(MiB)
const rng = crypto.createCipheriv('aes-128-ctr', crypto.randomBytes(16), crypto.randomBytes(16))
function randomBytes(size: number): Buffer {
  const out: Buffer[] = []
  for (let left = size; left > 0; left -= MiB) out.push(rng.update(ZEROS.subarray(0, Math.min(left, MiB))))
  return out.length === 1 ? out[0] : Buffer.concat(out)
}

/** Text is assembled from a pool of varied lines (building each line afresh costs 25 MB/s; this runs at 300+). */
let linePool: { xml: string[]; log: string[] } | null = null
function lines(): { xml: string[]; log: string[] } {
  if (linePool) return linePool
  const xml: string[] = []
  const log: string[] = []
  let t = Date.parse('2024-05-14T08:00:00Z')
  for (let i = 0; i < 20_000; i++) {
    const w = pick(WORDS)
    xml.push(
      `  <${w} id="${pick(WORDS)}${Math.floor(Math.random() * 1e6)}" status="${pick(WORDS)}">${pick(WORDS)} ${pick(WORDS)} ${Math.random().toString(36).slice(2, 10)}</${w}>\n`
    )
    t += Math.floor(Math.random() * 2000)
    log.push(
      `${new Date(t).toISOString().replace('T', ' ').replace('Z', '')} [${pick(['main', 'xl-scheduler-3', 'pekko.actor.default-dispatcher-12', 'http-nio-5516-exec-7'])}] ${pick(['INFO ', 'DEBUG', 'WARN '])} c.x.x.${pick(WORDS)}.${pick(WORDS)}Service - ${pick(WORDS)} ${pick(WORDS)} Release${Math.floor(Math.random() * 1e7)} took ${Math.floor(Math.random() * 900)} ms\n`
    )
  }
  linePool = { xml, log }
  return linePool
}

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]
}

function xmlText(size: number): string {
  const id = crypto.randomBytes(8).toString('hex')
  const pool = lines().xml
  const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<release id="Applications/Folder${id}/Release${id}">\n`]
  let len = parts[0].length
  while (len < size) {
    const line = pool[Math.floor(Math.random() * pool.length)]
    parts.push(line)
    len += line.length
  }
  parts.push('</release>\n')
  return parts.join('')
}

function logText(size: number): string {
  const pool = lines().log
  const parts: string[] = []
  let len = 0
  while (len < size) {
    const line = pool[Math.floor(Math.random() * pool.length)]
    parts.push(line)
    len += line.length
  }
  return parts.join('').slice(0, size)
}

function csvText(size: number): string {
  let s = 'release,phase,task,owner,status,duration\n'
  while (s.length < size)
    s += `Release${Math.floor(Math.random() * 1e5)},${pick(WORDS)},${pick(WORDS)},user${Math.floor(Math.random() * 50)},${pick(WORDS)},${Math.floor(Math.random() * 1e4)}\n`
  return s
}

const RUN_SH = `#!/bin/sh
# run.sh: starts XL Release in the foreground
cd "$(dirname "$0")/.." || exit 1
exec java -cp "conf:hotfix/lib/*:lib/*" com.xebialabs.xlrelease.XLReleaseBootstrapper "$@"
`
const SERVER_CONF = `#XL Release configuration file.
#Tue May 14 09:30:00 UTC 2024
http.port=5516
http.bind.address=0.0.0.0
http.context.root=/
ssl=false
server.url=http\\://xlr.example.com\\:5516/
repository.keystore.password={b64}c2VjcmV0IGlzIGVuY3J5cHRlZA\\=\\=
threads.min=3
threads.max=24
`
const XLR_CONF = `xl {
  # embedded H2 for the repository, Derby for the archive
  database {
    db-driver-classname = "org.h2.Driver"
    db-url = "jdbc:h2:file:./repository/xl-release"
    db-username = sa
    db-password = "{b64}ZW5jcnlwdGVk"
  }
  reporting {
    db-driver-classname = "org.apache.derby.jdbc.EmbeddedDriver"
    db-url = "jdbc:derby:archive/db;create=true"
  }
}
`
const LOGBACK = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>log/xl-release.log</file>
  </appender>
  <root level="info"><appender-ref ref="FILE"/></root>
</configuration>
`

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2)
  const scaleAt = args.indexOf('--scale')
  const scale = scaleAt >= 0 ? Number(args.splice(scaleAt, 2)[1]) : 1
  const dir = args[0]
  if (!dir || args.length !== 1) {
    process.stderr.write('usage: npx tsx scripts/make-home.ts <dir> [--scale N]\n')
    process.exitCode = 2
    return
  }
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    process.stderr.write(`${dir} is not empty; give a new or empty folder\n`)
    process.exitCode = 2
    return
  }
  const started = Date.now()
  const made = await makeHome(dir, { scale })
  process.stdout.write(
    `${made.dir}: ${made.files} files, ${(made.bytes / MiB).toFixed(1)} MiB, XL Release ${made.version} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`
  )
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exitCode = 1
  })
}
