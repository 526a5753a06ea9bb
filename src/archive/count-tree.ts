import { Worker } from 'node:worker_threads'
import type { ExcludeMatcher } from './exclude.js'

/**
 * The same walk as tree-walker.ts (excluded names skipped, links not followed, a folder excluded as a folder once
 * lstat tells), reduced to the bytes of the regular files. Plain JavaScript run with `eval: true`, like the deflate
 * workers, so it works under ts-jest, tsx and the ncc bundle.
 */
const COUNT_SOURCE = String.raw`
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const path = require('node:path')
const rules = workerData.rules.map(r => ({ regex: new RegExp(r.source, r.flags), dirOnly: r.dirOnly }))
function excluded(rel, isDir) {
  for (const r of rules) if ((!r.dirOnly || isDir) && r.regex.test(rel)) return true
  return false
}
let bytes = 0
function walk(abs, rel) {
  let dirents
  try { dirents = fs.readdirSync(abs, { withFileTypes: true }) } catch { return }
  for (const d of dirents) {
    const childRel = rel === '' ? d.name : rel + '/' + d.name
    const isDir = d.isDirectory()
    if (excluded(childRel, isDir)) continue
    const childAbs = path.join(abs, d.name)
    const st = fs.lstatSync(childAbs, { throwIfNoEntry: false })
    if (!st) continue
    if (st.isDirectory()) {
      if (!isDir && excluded(childRel, true)) continue
      walk(childAbs, childRel)
    } else if (st.isFile()) bytes += st.size
  }
}
walk(workerData.root, '')
parentPort.postMessage(bytes)
`

/**
 * Bytes of the files under `root` that the archive will hold, counted on a worker thread so the archive can start at
 * once: the count only gives progress its percentage and ETA. Errors the walk would meet are left to the writer's own
 * walk, which reports them properly; here they only make the count smaller.
 */
export function countTreeBytes(root: string, exclude: ExcludeMatcher): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(COUNT_SOURCE, { eval: true, workerData: { root, rules: exclude.portableRules } })
    worker.unref()
    worker.once('message', (bytes: number) => resolve(bytes))
    worker.once('error', reject)
    worker.once('exit', code => {
      if (code !== 0) reject(new Error(`the counting worker exited with code ${code}`))
    })
  })
}
