/** A check that runs in the background: result() settles with it (and may be called any number of times). */
export interface PendingCheck {
  result(): Promise<void>
}

/** Wraps a running check so that a failure nobody awaited yet is held for result(), not reported as unhandled. */
export function pendingCheck(check: Promise<void>): PendingCheck {
  let failure: { error: unknown } | null = null
  const settled = check.then(
    () => undefined,
    (error: unknown) => {
      failure = { error }
    }
  )
  return {
    async result() {
      await settled
      if (failure) throw failure.error
    }
  }
}
