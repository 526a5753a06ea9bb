export type {
  BackupDescription,
  Component,
  DatabaseRestorer,
  Extractor,
  InterruptedAction,
  Journal,
  JournalState,
  JournalStep,
  JournalStepKind,
  PlannedComponent,
  PlannedDatabase,
  PlannedIndexReset,
  ResetIndexesMode,
  RestoreDeps,
  RestorePlan,
  RestoreRequest,
  RestoreResult,
  StatfsResult
} from './types.js'
export { backupTopLevel, componentWarnings, selectComponents, DATABASES } from './components.js'
export { assertEnoughSpace, planRestore } from './plan.js'
export { formatPlan } from './plan-format.js'
export { executeRestore } from './execute.js'
export { describeInterrupted, findInterruptedRestores, type InterruptedRestore } from './interrupted-detect.js'
export { finishInterrupted, rollBackInterrupted } from './interrupted.js'
export { RestoreFailedError } from './rollback.js'
export { JCR_INDEX_FOLDERS, decideIndexReset } from './indexes.js'
export { readJournal, JOURNAL_FILE, WORK_DIR_PREFIX } from './journal.js'
export { runRestore } from './run.js'
