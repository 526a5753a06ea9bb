import { readdir, readFile } from 'node:fs/promises'

/** Command lines (NULs as spaces) of every process whose /proc/<pid>/cmdline contains `needle`. */
export async function commandLinesContaining(needle: string): Promise<string[]> {
  const found: string[] = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`).catch(() => null)
    if (cmdline && cmdline.includes(needle)) found.push(cmdline.toString('utf8').replace(/\0/g, ' '))
  }
  return found
}
