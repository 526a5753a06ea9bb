/**
 * Runs a restore in its own process and SIGKILLs itself at a chosen journal step: a runner that dies mid-restore.
 * Usage: tsx interrupt-child.ts <scenario-root> <step kind> <occurrence> [components]
 */
import * as path from 'node:path'
import { MemoryLogger } from '../../src/shared/logger.js'
import { backupTopLevel, runRestore, selectComponents } from '../../src/restore-engine/index.js'
import { backupFromFolder, FileDatabases, FolderExtractor } from '../support/restore-fixtures.js'

const [root, kind, occurrence, components = 'default'] = process.argv.slice(2)
const backupHome = path.join(root, 'backup-home')
const backup = await backupFromFolder(backupHome, { databases: ['repository', 'archive'] })
let seen = 0
await runRestore(
  {
    home: path.join(root, 'home'),
    backup,
    components: selectComponents(components, backupTopLevel(backup.manifest.files), true),
    previousPath: '',
    safetyDump: true,
    resetIndexes: 'true',
    interrupted: '',
    dryRun: false
  },
  {
    extractor: new FolderExtractor(backupHome),
    databases: new FileDatabases(path.join(root, 'db'), ['repository', 'archive']),
    logger: new MemoryLogger(),
    onStep: step => {
      if (step.kind === kind && ++seen === Number(occurrence)) process.kill(process.pid, 'SIGKILL')
    }
  }
)
console.log('finished without being killed')
