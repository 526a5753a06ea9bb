import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../signing/fixtures')

/** A file of __tests__/signing/fixtures (SSH keys and signatures OpenSSH made, see its README.md), as text. */
export function signingFixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8')
}
