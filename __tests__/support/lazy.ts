/**
 * An object whose properties are read from `current()` at each access: a fixture made in a hook, handed out at the
 * top of a test file before it exists (reading it outside a test throws whatever `current` throws).
 */
export function readThrough<T extends object>(current: () => T): T {
  return new Proxy({} as T, { get: (_, key) => Reflect.get(current(), key) as unknown })
}
