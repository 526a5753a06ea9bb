import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Manifest } from '../../src/format/manifest.js'
import { Input } from '../../src/settings/inputs.js'
import { describeTree, entriesFromFolder, writeBackup, type ZipEntrySpec } from './archive-fixtures.js'
export { pgDumpRecord, sha256 } from './archive-fixtures.js'
import { homeEntries, writeHome } from './restore-fixtures.js'
import { attempt, type Inputs } from './run-job.js'

export type { Inputs }

/**
 * One scene for a forged backup: a source home (what the forger starts from), a target home the restore must leave
 * byte-identical, a canary folder beside it that nothing may write into, and a storage folder the backup is put in.
 */
export class HostileScene {
  private constructor(
    readonly root: string,
    readonly source: string,
    readonly home: string,
    readonly canary: string,
    readonly store: string
  ) {}

  static async create(label: string): Promise<HostileScene> {
    const root = await mkdtemp(path.join(os.tmpdir(), `xlr-hostile-${label}-`))
    const scene = new HostileScene(
      root,
      path.join(root, 'source'),
      path.join(root, 'home'),
      path.join(root, 'canary'),
      path.join(root, 'store')
    )
    await writeHome(scene.source, homeEntries('backup'))
    await cp(scene.source, scene.home, { recursive: true, verbatimSymlinks: true })
    await mkdir(scene.canary)
    await writeFile(path.join(scene.canary, 'precious.txt'), 'do not touch\n')
    await mkdir(scene.store)
    return scene
  }

  /** The source home as archive entries (under 'home/'). */
  homeEntries(): Promise<ZipEntrySpec[]> {
    return entriesFromFolder(this.source)
  }

  /**
   * Stores a forged backup `name`.zip (manifest computed from `entries`, then `edit`ed) with a matching `.sha256`:
   * every digest agrees, so only the checks of the archive itself stand between it and the disk.
   */
  async forge(
    name: string,
    entries: ZipEntrySpec[],
    edit?: (m: Manifest) => unknown,
    manifestEntries?: ZipEntrySpec[]
  ): Promise<string> {
    const file = path.join(this.store, `${name}.zip`)
    await writeBackup(file, entries, {
      manifestEntries,
      edit: m => {
        // The version of the source home, as an honest backup of it would say.
        m.home.xlReleaseVersion = '22.3.1'
        return edit?.(m)
      }
    })
    const sha = createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
    await writeFile(`${file}.sha256`, `${sha}  ${path.basename(file)}\n`)
    return file
  }

  /** Everything the test may look at afterwards: the target home and the canary, every byte and time. */
  async snapshot(): Promise<{ home: Record<string, string>; canary: Record<string, string> }> {
    return { home: await describeTree(this.home), canary: await describeTree(this.canary) }
  }

  inputs(mode: 'restore' | 'verify', name: string, over: Inputs = {}): Inputs {
    return {
      [Input.Mode]: mode,
      [Input.Home]: this.home,
      [Input.Storage]: 'directory',
      [Input.Path]: this.store,
      [Input.Name]: name,
      [Input.Threads]: '2',
      ...over
    }
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true })
  }
}

/** parseSettings + runJob, as both front ends call them; returns the error the run must end with. */
export { runFailing as runRefused } from './run-job.js'

/** A database URL nothing listens on: any step that would reach a database fails there, after everything before it. */
export const UNREACHABLE_PG = 'jdbc:postgresql://127.0.0.1:1/nowhere'

/** Runs a job to its end: its error, if any (for properties over many backups). */
export async function attemptJob(inputs: Inputs): Promise<{ error: Error | null }> {
  return { error: (await attempt(inputs)).error ?? null }
}
