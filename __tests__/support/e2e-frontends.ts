/**
 * End-to-end tests of the two front ends as users run them: the bundled action (`node dist/index.js`, the way the
 * runner starts it: INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, the workspace as current folder)
 * and the CLI (`node bin/xlr-backup.js`). Real processes, real files; storage through the emulators where needed.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeHome } from '../../scripts/make-home.js'
import { cleanEnv } from './child-env.js'
import { sha256File } from './hash.js'
import { freePort } from './net.js'

// Shared with the other tiers' support; named here too, where the e2e tests have always found them.
export { freePort }
export { sha256File }

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const ACTION_BUNDLE = path.join(ROOT, 'dist/index.js')
export const CLI_BUNDLE = path.join(ROOT, 'dist/cli.js')
export const CLI_BIN = path.join(ROOT, 'bin/xlr-backup.js')

/**
 * These tests run the bundles, not the sources: `npm run package` must have run (the test script's dist check
 * guarantees it in CI). A missing bundle fails loudly; a bundle older than the sources is reported, since a
 * failure then may come from code that is already fixed.
 */
export function requireBundles(): void {
  for (const bundle of [ACTION_BUNDLE, CLI_BUNDLE]) {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run 'npm run package' before these tests.`)
  }
  // The test script has just compared dist/ with a fresh build; file times after a clone say nothing.
  if (process.env.XLR_DIST_CHECKED === '1') return
  const built = Math.min(statSync(ACTION_BUNDLE).mtimeMs, statSync(CLI_BUNDLE).mtimeMs)
  const newer = newerSources(path.join(ROOT, 'src'), built)
  if (newer.length > 0) {
    process.stderr.write(
      `e2e: dist/ is older than ${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ` and ${newer.length - 3} more` : ''}: ` +
        `these tests run dist/; run 'npm run package' to test the current sources.\n`
    )
  }
}

function newerSources(dir: string, than: number): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    const st = statSync(full)
    if (st.isDirectory()) out.push(...newerSources(full, than))
    else if (st.mtimeMs > than) out.push(path.relative(ROOT, full))
  }
  return out
}

export interface Run {
  code: number
  stdout: string
  stderr: string
}

export interface ActionRun extends Run {
  outputs: Record<string, string>
  summary: string
  /**
   * Files the run left in its RUNNER_TEMP, recursively (a job must clean up: backups and keys must not linger on a
   * runner). Empty folders are not counted: @actions/cache leaves its empty temp folder, and the runner removes it.
   */
  tempLeft: string[]
}

export interface ActionOptions {
  /** Extra environment (emulator URLs and tokens, GITHUB_SERVER_URL …). */
  env?: Record<string, string>
  /** The job's workspace: current folder and GITHUB_WORKSPACE, as on a runner (default: a fresh folder). */
  workspace?: string
}

/**
 * Runs `node dist/index.js` as the runner does: INPUT_<NAME> variables (upper case, spaces to '_'), the workspace as
 * current folder, GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and nothing of the test
 * runner's own GITHUB_/ACTIONS_/INPUT_/XLR_ environment.
 */
export async function runAction(inputs: Record<string, string>, options: ActionOptions = {}): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-action-'))
  const temp = path.join(dir, 'runner-temp')
  const workspace = options.workspace ?? path.join(dir, 'workspace')
  await mkdir(temp)
  await mkdir(workspace, { recursive: true })
  const outputFile = path.join(dir, 'output')
  const summaryFile = path.join(dir, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])
  )
  try {
    const run = await spawnCollect(process.execPath, [ACTION_BUNDLE], workspace, {
      ...cleanEnv(),
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...inputEnv,
      ...(options.env ?? {})
    })
    return {
      ...run,
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      tempLeft: await filesUnder(temp)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, r)))
    else out.push(r)
  }
  return out
}

/** Runs `node bin/xlr-backup.js <args>` in `cwd` with only the given XLR_/other variables on top of a clean env. */
export async function runCli(args: string[], env: Record<string, string> = {}, cwd: string = ROOT): Promise<Run> {
  return await spawnCollect(process.execPath, [CLI_BIN, ...args], cwd, { ...cleanEnv(), ...env })
}

function spawnCollect(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    child.on('error', reject)
    child.on('close', code => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

/** GITHUB_OUTPUT holds `name<<delimiter\nvalue\ndelimiter` blocks (core.setOutput's file command). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (m) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
      outputs[m[1]] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

/** The `::error::` lines of an action run (workflow commands; the message is escaped: %0A for line breaks). */
export function errorLines(run: Run): string[] {
  return run.stdout
    .split('\n')
    .filter(l => l.startsWith('::error'))
    .map(l =>
      l
        .replace(/^::error[^:]*::/, '')
        .replace(/%0A/g, '\n')
        .replace(/%0D/g, '')
        .replace(/%25/g, '%')
    )
}

/** What every front-end test file starts from: a scratch folder, a sample home in it, a free port for its server. */
export interface FrontEndScene {
  tmp: string
  home: string
  port: string
  /** `<tmp>/backups`, not made yet: the folder of 'storage: directory'. */
  backups: string
}

/**
 * The start of a front-end test file: before its tests the bundles checked and a new FrontEndScene handed to `use`;
 * after them the scratch folder removed. An afterAll that must run before the folder goes comes before this call.
 */
export function frontEndScene(prefix: string, use: (made: FrontEndScene) => void): void {
  let tmp: string | undefined
  beforeAll(async () => {
    requireBundles()
    tmp = await mkdtemp(path.join(os.tmpdir(), prefix))
    const home = await sampleHome(path.join(tmp, 'home'))
    use({ tmp, home, port: String(await freePort()), backups: path.join(tmp, 'backups') })
  }, 120_000)
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })
}

/** A generated XL Release 24.x home of a few MB (see scripts/make-home.ts), at `dir`. */
export async function sampleHome(dir: string, scale = 0.005): Promise<string> {
  await makeHome(dir, { scale })
  return dir
}

export interface TreeEntry {
  type: 'file' | 'directory' | 'symlink'
  /** Permission bits, octal. */
  mode: string
  sha256?: string
  target?: string
  /** Whole seconds (files only: folder times change as a tree is written, links' own times are not restored). */
  mtime?: number
}

/** Everything under `root`, links not followed, keyed by relative path ('/'-separated). */
export async function tree(root: string, options: { mtimes?: boolean } = {}): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>()
  async function walk(rel: string): Promise<void> {
    const full = rel ? path.join(root, rel) : root
    for (const name of (await readdir(full)).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const abs = path.join(root, r)
      const st = await lstat(abs)
      const mode = (st.mode & 0o7777).toString(8)
      if (st.isSymbolicLink()) out.set(r, { type: 'symlink', mode: 'link', target: await readlink(abs) })
      else if (st.isDirectory()) {
        out.set(r, { type: 'directory', mode })
        await walk(r)
      } else {
        out.set(r, {
          type: 'file',
          mode,
          sha256: await sha256File(abs),
          ...(options.mtimes ? { mtime: Math.floor(st.mtimeMs / 1000) } : {})
        })
      }
    }
  }
  await walk('')
  return out
}

/** One hash of a whole tree (paths, types, modes, contents, link targets): equal before and after = untouched. */
export async function treeHash(root: string): Promise<string> {
  const hash = createHash('sha256')
  for (const [rel, e] of await tree(root)) hash.update(`${rel}\0${JSON.stringify(e)}\n`)
  return hash.digest('hex')
}
