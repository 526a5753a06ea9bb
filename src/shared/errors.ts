import type { Input } from './io-names.js'

/**
 * Every failure the user can act on is one of these: a message that names the input or file at fault and the fix.
 * Callers branch with instanceof; front ends print `message` (never a stack) and fail the job.
 */
export class XlrBackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A user-supplied input (action input or CLI flag) is missing, malformed or contradicts another. */
export class InputError extends XlrBackupError {
  constructor(
    readonly input: Input,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** The folder given as `home` is not an XL Release server home. */
export class NotAHomeError extends XlrBackupError {
  constructor(
    readonly path: string,
    message: string
  ) {
    super(message)
  }
}

/** A configuration file of the home could not be parsed. */
export class ConfigParseError extends XlrBackupError {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string
  ) {
    super(`${file}:${line}: ${detail}`)
  }
}

/** A probe saw the XL Release server running (or could not prove it stopped). */
export class ServerRunningError extends XlrBackupError {}

/** The backup archive is damaged, foreign, or disagrees with its manifest. */
export class IntegrityError extends XlrBackupError {}

/** A database tool failed, is missing, or the target database is unsuitable. */
export class DatabaseError extends XlrBackupError {}

/** A storage backend could not save, find or fetch a backup. */
export class StorageError extends XlrBackupError {}

/** Encryption or decryption failed (wrong key, tampered ciphertext, missing key). */
export class EncryptionError extends XlrBackupError {}

/** A restore was refused or failed (RestoreFailedError, its subclass, also says whether the home was rolled back). */
export class RestoreError extends XlrBackupError {}

/** A backup's signature is missing, invalid, or made by a key the restore does not trust. */
export class SignatureError extends XlrBackupError {}
