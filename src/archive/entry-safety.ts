import * as path from 'node:path'

/**
 * Rules an entry name must follow before any byte of it is written: the archive is untrusted input (it may have been
 * swapped in storage, or be a foreign zip), and a single `../` or absolute name would write outside the staging folder.
 * Returns the reason the name is unsafe, or null when it is fine.
 */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return 'the name is empty'
  if (name.includes('\0')) return 'the name contains a NUL character'
  if (name.includes('\\')) return 'the name contains a backslash (a Windows path separator)'
  if (name.startsWith('/')) return 'the name is an absolute path'
  if (/^[A-Za-z]:/.test(name)) return 'the name starts with a drive letter'
  // A trailing '/' marks a folder; any other empty segment ('a//b') hides a path the archive did not spell out.
  // Scanned in place: splitting a name thousands of folders deep allocates a string per folder, per entry.
  const end = name.endsWith('/') ? name.length - 1 : name.length
  for (let start = 0; start <= end;) {
    let stop = name.indexOf('/', start)
    if (stop < 0 || stop > end) stop = end
    const length = stop - start
    if (length === 0) return "the name has an empty segment ('//')"
    if (name.charCodeAt(start) === 0x2e) {
      if (length === 1) return "the name has a '.' segment"
      if (length === 2 && name.charCodeAt(start + 1) === 0x2e) return "the name has a '..' segment"
    }
    start = stop + 1
  }
  return null
}

/** Why a symlink target may not be stored as is (before asking where it points), or null. */
export function unsafeLinkTextReason(target: string): string | null {
  if (target.length === 0) return 'the link target is empty'
  if (target.includes('\0')) return 'the link target contains a NUL character'
  if (target.startsWith('/')) return `the link target '${target}' is absolute`
  if (target.includes('\\')) return `the link target '${target}' contains a backslash`
  if (/^[A-Za-z]:/.test(target)) return `the link target '${target}' starts with a drive letter`
  return null
}

/** The name without its folder marker: 'a/b/' and 'a/b' name the same path on disk. */
export function pathKey(name: string): string {
  return name.endsWith('/') ? name.slice(0, -1) : name
}

const MAX_LINK_HOPS = 40

/**
 * The links of an archive as a tree of numbered folders, so a walk looks a component up by (folder number, name) —
 * a short key — instead of joining the whole path so far for every component, which costs the square of the depth.
 * Only folders on the way to some link get a number: below any other folder there is no link to find.
 */
interface LinkIndex {
  child: Map<string, number>
  linkAt: Map<number, string>
}

const ROOT_ID = 0
/** A folder on no link's path. */
const NO_ID = -1
const indexes = new WeakMap<ReadonlyMap<string, string>, LinkIndex>()

function linkIndex(links: ReadonlyMap<string, string>): LinkIndex {
  let index = indexes.get(links)
  if (index) return index
  index = { child: new Map(), linkAt: new Map() }
  let next = ROOT_ID + 1
  for (const [linkPath, target] of links) {
    let id = ROOT_ID
    for (const part of linkPath.split('/')) {
      const key = `${id}/${part}`
      let found = index.child.get(key)
      if (found === undefined) {
        found = next++
        index.child.set(key, found)
      }
      id = found
    }
    index.linkAt.set(id, target)
  }
  indexes.set(links, index)
  return index
}

/**
 * Resolves `linkPath` (an archive path, no trailing '/') the way the kernel would once everything is on disk — following
 * the other links of the archive, since a chain (`d/l1 -> ..`, `l2 -> d/l1/..`) escapes where each link alone looks
 * harmless — and says whether the result stays inside `root` (an archive folder prefix such as 'home/').
 * Returns null when it stays inside, or why it does not. Linear in the link's depth plus the components walked.
 */
export function linkEscapeReason(linkPath: string, links: ReadonlyMap<string, string>, root: string): string | null {
  const rootParts = root.split('/').filter(s => s !== '')
  const target = links.get(linkPath)
  if (target === undefined) return null
  if (!linkPath.startsWith(root)) return `the link is outside ${root}`
  const textReason = unsafeLinkTextReason(target)
  if (textReason) return textReason
  const index = linkIndex(links)
  const step = (id: number, part: string): number =>
    id === NO_ID ? NO_ID : (index.child.get(`${id}/${part}`) ?? NO_ID)
  // Walk like realpath: a stack of resolved components (names and folder numbers) and a queue still to visit.
  const resolved = linkPath.split('/').slice(0, -1)
  const ids = [ROOT_ID]
  for (const part of resolved) ids.push(step(ids[ids.length - 1], part))
  let pending = target.split('/')
  let hops = 0
  while (pending.length > 0) {
    const part = pending.shift() as string
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (resolved.length <= rootParts.length) return `the link target '${target}' points outside ${root}`
      resolved.pop()
      ids.pop()
      continue
    }
    const id = step(ids[ids.length - 1], part)
    const next = id === NO_ID ? undefined : index.linkAt.get(id)
    if (next === undefined) {
      resolved.push(part)
      ids.push(id)
      continue
    }
    if (++hops > MAX_LINK_HOPS) return `the link target '${target}' goes through more than ${MAX_LINK_HOPS} links`
    const nextReason = unsafeLinkTextReason(next)
    if (nextReason) return `the link target '${target}' goes through a link whose ${nextReason.replace(/^the /, '')}`
    pending = [...next.split('/'), ...pending]
  }
  for (let i = 0; i < rootParts.length; i++) {
    if (resolved[i] !== rootParts[i]) return `the link target '${target}' points outside ${root}`
  }
  return null
}

/** True when `child` (an absolute path) is `parent` or inside it — on disk, after normalising. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}
