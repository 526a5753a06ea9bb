/** The messages between countTreeBytes (main thread) and its worker (count-worker.ts). */
import type { PortableRule } from '../exclude.js'

export interface CountWorkerData {
  root: string
  rules: PortableRule[]
}

/** The worker's one message: the count, or why the walk stopped. */
export type CountWorkerResult = { bytes: number } | { error: string }
