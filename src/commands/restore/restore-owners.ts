import { lchownSync, lstatSync } from 'node:fs'
import * as path from 'node:path'
import { HOME_PREFIX, type FileRecord, type Manifest, type OwnerRecord } from '../../format/manifest.js'
import type { Extractor } from '../../restore-engine/types.js'
import type { OwnerSpec } from '../../settings/settings.js'
import { InputError } from '../../shared/errors.js'
import { lookupAccount } from '../../shared/host-accounts.js'
import { Input } from '../../shared/io-names.js'
import type { Logger } from '../../shared/logger.js'

/** Owner ids to give restored entries: one per row of the manifest's owners table, or one for all. */
export type OwnerMapping = { kind: 'fixed'; uid: number; gid: number } | { kind: 'rows'; rows: OwnerIds[] }
interface OwnerIds {
  uid: number
  gid: number
}

export interface OwnerPlan {
  /** null: the files stay the runner's (not root, or an old backup without owners). */
  mapping: OwnerMapping | null
  /** Whose the files will be, for the plan and the summary. */
  description: string
}

interface Runner {
  uid: number
  gid: number
}

/**
 * Decides whose the restored files will be, before anything changes: the `owner` input (its names must exist on this
 * host), else the recorded owners (by name where this host knows the name, else by number). Only root can give files
 * away: another runner keeps them as its own, with a warning naming the fix when the backup recorded others.
 */
export async function planOwners(
  manifest: Pick<Manifest, 'owners'> & { files: Iterable<Pick<FileRecord, 'path' | 'owner'>> },
  wanted: OwnerSpec | null,
  logger: Logger,
  runner: Runner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
): Promise<OwnerPlan> {
  const root = runner.uid === 0
  if (wanted) {
    const uid = await resolveOwnerInput('passwd', wanted.user)
    const gid = await resolveOwnerInput('group', wanted.group)
    if (!root && (uid !== runner.uid || gid !== runner.gid)) {
      throw new InputError(
        Input.Owner,
        `'${Input.Owner}: ${wanted.user}:${wanted.group}' gives the restored files to ${uid}:${gid}, but this restore ` +
          `runs as ${runner.uid}:${runner.gid}, not as root, and only root can give files away. Nothing was changed. ` +
          `Run the restore as root (sudo), or leave '${Input.Owner}' unset.`
      )
    }
    return {
      mapping: { kind: 'fixed', uid, gid },
      description: `${wanted.user}:${wanted.group} (${uid}:${gid}), from '${Input.Owner}'`
    }
  }
  const table = manifest.owners ?? []
  if (table.length === 0) {
    return {
      mapping: null,
      description: `the runner's user (${runner.uid}:${runner.gid}); the backup records no owners`
    }
  }
  const rows = await Promise.all(table.map(resolveRecordedOwner))
  const used = usedRows(manifest.files)
  const shown = [...used].map(i => `${showOwner(table[i])} → ${rows[i].uid}:${rows[i].gid}`)
  if (root) return { mapping: { kind: 'rows', rows }, description: `as recorded: ${shown.join(', ')}` }
  const others = [...used].filter(i => rows[i].uid !== runner.uid || rows[i].gid !== runner.gid)
  if (others.length > 0) {
    logger.warning(
      `The backup recorded owners ${others.map(i => showOwner(table[i])).join(', ')}, but this restore runs as ` +
        `${runner.uid}:${runner.gid}, not as root: every restored file will be owned by ${runner.uid}:${runner.gid}, ` +
        `and a server running as another user may not be able to write its home. Run the restore as root (sudo) ` +
        `to give the files their recorded owners (or '${Input.Owner}: user:group' for another), or afterwards ` +
        `'sudo chown -R <user>:<group> <home>'.`
    )
  }
  return {
    mapping: null,
    description: `the runner's user (${runner.uid}:${runner.gid}), not root${others.length > 0 ? `; recorded: ${shown.join(', ')}` : ''}`
  }
}

/** A name must exist here; a number is taken as it is (a container's user often has no name on the host). */
async function resolveOwnerInput(database: 'passwd' | 'group', key: string | number): Promise<number> {
  if (typeof key === 'number') return key
  const account = await lookupAccount(database, key)
  if (account) return account.id
  throw new InputError(
    Input.Owner,
    `'${Input.Owner}' names the ${database === 'passwd' ? 'user' : 'group'} ${JSON.stringify(key)}, which this host ` +
      `does not have (getent ${database} ${key} finds nothing). Nothing was changed. Create it first, or give the ` +
      `number instead (e.g. '${Input.Owner}: 10001:0').`
  )
}

/** By name where this host knows the recorded name (ids differ between hosts), else by the recorded number. */
async function resolveRecordedOwner(row: OwnerRecord): Promise<OwnerIds> {
  const byName = async (db: 'passwd' | 'group', name: string | null): Promise<number | null> =>
    name === null ? null : ((await lookupAccount(db, name).catch(() => null))?.id ?? null)
  return {
    uid: (await byName('passwd', row.user)) ?? row.uid,
    gid: (await byName('group', row.group)) ?? row.gid
  }
}

function usedRows(files: Iterable<Pick<FileRecord, 'path' | 'owner'>>): Set<number> {
  const used = new Set<number>()
  for (const f of files) if (f.owner !== undefined && f.path.startsWith(HOME_PREFIX)) used.add(f.owner)
  return used
}

function showOwner(row: OwnerRecord): string {
  return `${row.user ?? row.uid}:${row.group ?? row.gid} (${row.uid}:${row.gid})`
}

/**
 * An Extractor that gives what it staged its owners, entry by entry from the manifest (links themselves, never what
 * they point at): in staging, so a failure rolls back like any other. `createdHome`: the restore creates the home,
 * which then gets the owner of the backed-up home folder too (a server that cannot enter its home cannot use it).
 */
class OwningExtractor implements Extractor {
  private homeDone: boolean

  constructor(
    private readonly inner: Extractor,
    private readonly files: OwnedFiles,
    private readonly mapping: OwnerMapping,
    private readonly createdHome: string | null
  ) {
    this.homeDone = createdHome === null
  }

  async extract(prefix: string, dest: string): Promise<void> {
    await this.inner.extract(prefix, dest)
    let created: OwnerIds | null | undefined
    for (const f of this.files.under(prefix)) {
      let local: string
      let inside = false
      if (f.path === prefix) local = dest
      else if (prefix.endsWith('/')) {
        local = path.join(dest, f.path.slice(prefix.length))
        inside = true
      } else continue
      const ids = this.idsOf(f.owner)
      if (!ids) continue
      if (inside) {
        created ??= ownerOf(local)
        if (created && created.uid === ids.uid && created.gid === ids.gid) continue
      }
      lchownSync(local, ids.uid, ids.gid)
    }
    if (!this.homeDone) {
      for (const f of this.files.under(HOME_PREFIX)) {
        if (f.path !== HOME_PREFIX) continue
        const ids = this.idsOf(f.owner)
        if (ids) lchownSync(this.createdHome!, ids.uid, ids.gid)
        break
      }
    }
    this.homeDone = true
  }

  private idsOf(owner: number | undefined): OwnerIds | null {
    if (this.mapping.kind === 'fixed') return this.mapping
    return owner === undefined ? null : (this.mapping.rows[owner] ?? null)
  }
}

/**
 * Whose every entry the extraction created inside a component is: all were created by this process in folders it
 * created, so they share its user, and one group (its own, or the component folder's when a set-group-id folder or a
 * 'grpid' mount hands that down, to every level alike). Reading one entry tells it; lchown of an entry that already
 * has its owner is a syscall per file for nothing (restoring as root files root owned is the common case).
 */
function ownerOf(local: string): OwnerIds | null {
  try {
    const st = lstatSync(local)
    return { uid: st.uid, gid: st.gid }
  } catch {
    return null
  }
}

/** The manifest's files whose path starts with a prefix (an opened archive's EntryTable compares names in place). */
export interface OwnedFiles {
  under(prefix: string): Iterable<Pick<FileRecord, 'path' | 'owner'>>
}

/** The extractor, giving owners as it stages when the plan has any to give. */
export function withOwners(
  extractor: Extractor,
  files: OwnedFiles,
  plan: OwnerPlan,
  newHome: string | null
): Extractor {
  return plan.mapping ? new OwningExtractor(extractor, files, plan.mapping, newHome) : extractor
}
