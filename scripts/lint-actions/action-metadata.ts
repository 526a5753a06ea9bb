import { existsSync } from 'node:fs'
import * as path from 'node:path'

/**
 * Checks action.yml against GitHub's action metadata rules (docs: "Metadata syntax for GitHub Actions") and the
 * Marketplace's limits. Hand-written because the published JSON schemas lag GitHub: the one in @action-validator
 * (0.6.0) still refuses `runs.using: node24`.
 */

const NODE_RUNTIMES = ['node20', 'node24']
const BRANDING_COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']
const TOP_LEVEL_KEYS = ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding']
const NODE_RUNS_KEYS = ['using', 'main', 'pre', 'pre-if', 'post', 'post-if']
const INPUT_KEYS = ['description', 'required', 'default', 'deprecationMessage']
const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/
/** The Marketplace refuses a description of this length or more. */
export const MAX_DESCRIPTION = 125

type Doc = Record<string, unknown>

function isMap(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every rule action.yml breaks, as one line each; empty when it is valid. `root` holds the files runs names. */
export function checkActionMetadata(doc: unknown, root: string): string[] {
  if (!isMap(doc)) return ['action.yml: the document is not a mapping']
  const problems: string[] = []
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.includes(key)) problems.push(`action.yml: unknown top-level key '${key}'`)
  }
  for (const key of ['name', 'description']) {
    if (typeof doc[key] !== 'string' || (doc[key] as string).trim() === '') {
      problems.push(`action.yml: '${key}' is required and must be a non-empty string`)
    }
  }
  if (typeof doc.description === 'string' && doc.description.length >= MAX_DESCRIPTION) {
    problems.push(
      `action.yml: 'description' has ${doc.description.length} characters; the Marketplace takes fewer than ${MAX_DESCRIPTION}`
    )
  }
  problems.push(...checkRuns(doc.runs, root))
  problems.push(...checkInputs(doc.inputs))
  problems.push(...checkOutputs(doc.outputs))
  problems.push(...checkBranding(doc.branding))
  return problems
}

function checkRuns(runs: unknown, root: string): string[] {
  if (!isMap(runs)) return ["action.yml: 'runs' is required"]
  if (!NODE_RUNTIMES.includes(String(runs.using))) {
    return [
      `action.yml: 'runs.using' is '${String(runs.using)}'; this action is a JavaScript action: ${NODE_RUNTIMES.join(' or ')}`
    ]
  }
  const problems: string[] = []
  for (const key of Object.keys(runs)) {
    if (!NODE_RUNS_KEYS.includes(key)) problems.push(`action.yml: 'runs.${key}' is not a key of a JavaScript action`)
  }
  if (typeof runs.main !== 'string') problems.push("action.yml: 'runs.main' is required")
  for (const key of ['main', 'pre', 'post']) {
    const file = runs[key]
    if (typeof file === 'string' && !existsSync(path.join(root, file))) {
      problems.push(`action.yml: 'runs.${key}' names ${file}, which does not exist`)
    }
  }
  for (const [condition, step] of [
    ['pre-if', 'pre'],
    ['post-if', 'post']
  ]) {
    if (runs[condition] !== undefined && runs[step] === undefined) {
      problems.push(`action.yml: 'runs.${condition}' without 'runs.${step}'`)
    }
  }
  return problems
}

function checkInputs(inputs: unknown): string[] {
  if (inputs === undefined) return []
  if (!isMap(inputs)) return ["action.yml: 'inputs' must be a mapping"]
  const problems: string[] = []
  for (const [name, spec] of Object.entries(inputs)) {
    if (!ID.test(name)) problems.push(`action.yml: input '${name}' is not a valid id`)
    if (!isMap(spec)) {
      problems.push(`action.yml: input '${name}' must be a mapping`)
      continue
    }
    if (typeof spec.description !== 'string') problems.push(`action.yml: input '${name}' needs a description`)
    for (const key of Object.keys(spec)) {
      if (!INPUT_KEYS.includes(key)) problems.push(`action.yml: input '${name}' has an unknown key '${key}'`)
    }
    if (spec.default !== undefined && typeof spec.default !== 'string') {
      problems.push(`action.yml: input '${name}' has a default that is not a string`)
    }
    if (spec.required !== undefined && typeof spec.required !== 'boolean') {
      problems.push(`action.yml: input '${name}' has 'required' that is not true or false`)
    }
  }
  return problems
}

function checkOutputs(outputs: unknown): string[] {
  if (outputs === undefined) return []
  if (!isMap(outputs)) return ["action.yml: 'outputs' must be a mapping"]
  const problems: string[] = []
  for (const [name, spec] of Object.entries(outputs)) {
    if (!ID.test(name)) problems.push(`action.yml: output '${name}' is not a valid id`)
    if (!isMap(spec) || typeof spec.description !== 'string') {
      problems.push(`action.yml: output '${name}' needs a description`)
    } else if (spec.value !== undefined) {
      problems.push(`action.yml: output '${name}' has a 'value', which only composite actions take`)
    }
  }
  return problems
}

function checkBranding(branding: unknown): string[] {
  if (branding === undefined) return []
  if (!isMap(branding)) return ["action.yml: 'branding' must be a mapping"]
  const problems: string[] = []
  if (typeof branding.icon !== 'string' || !/^[a-z0-9-]+$/.test(branding.icon)) {
    problems.push("action.yml: 'branding.icon' must name a Feather icon")
  }
  if (!BRANDING_COLORS.includes(String(branding.color))) {
    problems.push(`action.yml: 'branding.color' must be one of ${BRANDING_COLORS.join(', ')}`)
  }
  return problems
}
