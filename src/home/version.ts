import * as path from 'node:path'

/** Product jars that carry the server version in their name: 10.x and later, then older releases. */
const VERSION_JARS = [
  /^xlr-server-(\d+(?:\.\d+)+(?:-[0-9A-Za-z.-]+)?)\.jar$/,
  /^xl-release-server-(\d+(?:\.\d+)+(?:-[0-9A-Za-z.-]+)?)\.jar$/
]
const HOME_FOLDER = /^xl-release-(\d+(?:\.\d+)+(?:-[0-9A-Za-z.-]+)?)-server$/

export interface DetectedVersion {
  version: string
  /** 'lib/xlr-server-22.3.1.jar' or 'folder name xl-release-9.7.2-server'. */
  source: string
  /** Other versions seen in lib/ (an unfinished upgrade leaves two server jars): worth a warning. */
  others: string[]
}

/** The server version from the names of the jars in lib/ or, failing that, from the home folder's name. */
export function detectVersion(libEntries: readonly string[], homePath: string): DetectedVersion | null {
  for (const pattern of VERSION_JARS) {
    const found = libEntries
      .map(name => ({ name, version: pattern.exec(name)?.[1] }))
      .filter((m): m is { name: string; version: string } => m.version !== undefined)
      .sort((a, b) => compareVersions(b.version, a.version))
    if (found.length) {
      return {
        version: found[0].version,
        source: `lib/${found[0].name}`,
        others: [...new Set(found.slice(1).map(f => f.version))].filter(v => v !== found[0].version)
      }
    }
  }
  const fromFolder = HOME_FOLDER.exec(path.basename(homePath))?.[1]
  return fromFolder ? { version: fromFolder, source: `folder name ${path.basename(homePath)}`, others: [] } : null
}

/**
 * Orders versions like '9.7.2' < '10.0.0' < '22.3.1': numeric parts compared as numbers, missing parts count as
 * 0 ('7.5' = '7.5.0'), and a pre-release qualifier sorts before the release ('10.0.0-rc1' < '10.0.0').
 * Returns a negative number, 0 or a positive number.
 */
export function compareVersions(a: string, b: string): number {
  const [numA, qualA] = splitVersion(a)
  const [numB, qualB] = splitVersion(b)
  for (let i = 0; i < Math.max(numA.length, numB.length); i++) {
    const diff = (numA[i] ?? 0) - (numB[i] ?? 0)
    if (diff !== 0) return diff < 0 ? -1 : 1
  }
  if (qualA === qualB) return 0
  if (qualA === '') return 1
  if (qualB === '') return -1
  return qualA < qualB ? -1 : 1
}

function splitVersion(version: string): [number[], string] {
  const dash = version.indexOf('-')
  const numeric = dash < 0 ? version : version.slice(0, dash)
  const qualifier = dash < 0 ? '' : version.slice(dash + 1)
  return [numeric.split('.').map(part => (/^\d+$/.test(part) ? Number(part) : 0)), qualifier]
}
