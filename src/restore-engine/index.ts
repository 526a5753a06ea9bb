export type {
  BackupDescription,
  DatabaseRestorer,
  Extractor,
  JournalStep,
  RestoreDeps,
  RestoreRequest,
  RestoreResult
} from './types.js'
export { backupTopLevel, componentWarnings, selectComponents } from './components.js'
export { findInterruptedRestores } from './interrupted-detect.js'
export { rollBackInterrupted } from './interrupted.js'
export { RestoreFailedError } from './rollback.js'
export { JCR_INDEX_FOLDERS, decideIndexReset } from './indexes.js'
export { readJournal } from './journal.js'
export { checkRestoreBeforeStop, runRestore } from './run.js'
