/**
 * What `fn` throws, checked to be a `type`: the test fails when `fn` returns or throws something else, and reads the
 * error's own fields (line, input) typed.
 */
export function thrownBy<T extends Error>(type: abstract new (...args: never[]) => T, fn: () => unknown): T {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(type)
  return error as T
}
