import type { FileHandle } from 'node:fs/promises'
import type { FileRecord } from '../../format/manifest.js'
import { openPrivateFile } from '../../shared/private-files.js'

/** Text gathered before one write: few system calls, little memory. */
const BATCH_CHARS = 64 * 1024

/**
 * The manifest's entries as the elements of a JSON array (without the brackets), appended to a private file as the
 * archive is written: the one part of the manifest that grows with the home never sits in memory.
 */
export class RecordSpool {
  private text = ''
  private count = 0
  private closed = false

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle
  ) {}

  static async create(file: string): Promise<RecordSpool> {
    return new RecordSpool(file, await openPrivateFile(file))
  }

  /** Appends one record; returns a promise (to be awaited before the next) only when it writes to the disk. */
  add(record: FileRecord): Promise<void> | undefined {
    this.text += (this.count++ === 0 ? '' : ',') + JSON.stringify(record)
    return this.text.length >= BATCH_CHARS ? this.flush() : undefined
  }

  /** Writes what is left and closes the file; safe to call again, and after a failure. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.flush()
    } finally {
      await this.handle.close()
    }
  }

  private async flush(): Promise<void> {
    if (this.text === '') return
    const data = this.text
    this.text = ''
    await this.handle.write(data)
  }
}
