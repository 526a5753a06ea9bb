import { readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import type { DatabaseRecord } from '../../format/manifest.js'
import { describeDatabase, restoreDatabase, safetyDump } from '../../database/index.js'
import type { DatabaseSettings, DatabaseTarget } from '../../database/types.js'
import type { DatabaseRole } from '../../home/types.js'
import type { Logger } from '../../shared/logger.js'
import type { DatabaseRestorer } from '../../restore-engine/types.js'

/** One database of the backup: its dump (unpacked and checked), its manifest record, where it goes. */
export interface DatabaseRestoreTarget {
  record: DatabaseRecord
  dumpDir: string
  target: DatabaseTarget
}

const SAFETY_RECORD = 'xlr-safety-dump.json'

/**
 * The restore engine's DatabaseRestorer over the real dump and restore tools. Keeps no state between calls beyond
 * the files on disk: the record of a safety dump is written beside it, so a later run can roll it back.
 */
export class ToolDatabaseRestorer implements DatabaseRestorer {
  readonly roles: DatabaseRole[]
  private readonly byRole = new Map<DatabaseRole, DatabaseRestoreTarget>()

  constructor(
    targets: DatabaseRestoreTarget[],
    private readonly settings: DatabaseSettings,
    private readonly options: { createIfMissing: boolean; allowForeignTarget: boolean },
    private readonly logger: Logger
  ) {
    this.roles = targets.map(t => t.record.roles[0])
    for (const t of targets) this.byRole.set(t.record.roles[0], t)
  }

  describe(role: DatabaseRole): string {
    return describeDatabase(this.get(role).target)
  }

  async safetyDump(role: DatabaseRole, destDir: string): Promise<void> {
    const { target } = this.get(role)
    const result = await safetyDump(target, destDir, this.dumpOptions())
    // Written after the dump: dumpDatabase wants an empty folder, and a record only exists for a finished dump.
    await writeFile(path.join(destDir, SAFETY_RECORD), JSON.stringify(result ? result.record : null), { mode: 0o600 })
  }

  async restore(role: DatabaseRole): Promise<void> {
    const { target, record, dumpDir } = this.get(role)
    await restoreDatabase(target, dumpDir, record, {
      jobs: this.settings.jobs,
      restoreCommand: this.settings.restoreCommand,
      createIfMissing: this.options.createIfMissing,
      allowForeignTarget: this.options.allowForeignTarget,
      // Unpacked from the backup with every byte checked against the manifest.
      dumpVerified: true,
      logger: this.logger
    })
  }

  async rollback(role: DatabaseRole, safetyDumpDir: string): Promise<void> {
    const { target } = this.get(role)
    const record = JSON.parse(await readFile(path.join(safetyDumpDir, SAFETY_RECORD), 'utf8')) as DatabaseRecord | null
    if (!record) {
      this.logger.warning(
        `${describeDatabase(target)} did not exist before this restore, so there is no earlier content to put back; it keeps what the failed restore wrote. Drop it by hand if it should not exist.`
      )
      return
    }
    await restoreDatabase(target, safetyDumpDir, record, {
      jobs: this.settings.jobs,
      restoreCommand: this.settings.restoreCommand,
      createIfMissing: true,
      // It is the database's own earlier content going back.
      allowForeignTarget: true,
      logger: this.logger
    })
  }

  private dumpOptions() {
    return { jobs: this.settings.jobs, backupCommand: this.settings.backupCommand, logger: this.logger }
  }

  private get(role: DatabaseRole): DatabaseRestoreTarget {
    const found = this.byRole.get(role) ?? [...this.byRole.values()].find(t => t.record.roles.includes(role))
    if (!found) throw new Error(`internal: no database restore target for the ${role} role`)
    return found
  }
}
