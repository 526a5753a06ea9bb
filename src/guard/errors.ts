import { XlrBackupError } from '../shared/errors.js'

/**
 * The start-command failed, did not return, or the server did not answer in time after it. `workSucceeded` tells
 * whether the guarded work (the backup) had finished well: its result is good even though the server is down.
 */
export class ServerStartError extends XlrBackupError {
  constructor(
    message: string,
    readonly workSucceeded: boolean,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}
