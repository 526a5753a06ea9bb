import { spawn } from 'node:child_process'
import * as path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..')

/** Runs the CLI (`node bin/xlr-backup.js …`) and collects its streams. */
export async function runBundledCli(args: string[], env: Record<string, string> = {}) {
  return await spawnCollect(process.execPath, [path.join(root, 'bin/xlr-backup.js'), ...args], {
    ...cleanEnv(),
    ...env
  })
}

/** The environment without the test runner's own INPUT_/GITHUB_ variables, so runs don't leak into each other. */
function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) =>
        v !== undefined &&
        !k.startsWith('INPUT_') &&
        !k.startsWith('GITHUB_') &&
        !k.startsWith('ACTIONS_') &&
        !k.startsWith('XLR_') &&
        k !== 'NODE_OPTIONS'
    ) as [string, string][]
  )
}

function spawnCollect(
  cmd: string,
  args: string[],
  env: Record<string, string>
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: root })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    child.on('error', reject)
    child.on('close', code => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

/** GITHUB_OUTPUT holds `name<<delimiter\nvalue\ndelimiter` blocks (core.setOutput's file command). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (m) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
      outputs[m[1]] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}
