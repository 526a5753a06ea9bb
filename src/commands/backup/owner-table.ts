import type { OwnerRecord } from '../../format/manifest.js'
import type { WrittenEntry } from '../../archive/zip-writer.js'
import type { FileRecord } from '../../format/manifest.js'
import { accountName } from '../../shared/host-accounts.js'

/**
 * The manifest's owners table as the archive is written: each distinct uid:gid once, each entry its row's index.
 * Names are looked up once per table row at the end (a home has a handful of owners and thousands of files).
 */
export class OwnerTable {
  private readonly rows = new Map<string, number>()
  private readonly ids: { uid: number; gid: number }[] = []

  /** The manifest record of a written entry: its owner ids replaced by the row index. */
  record(entry: WrittenEntry): FileRecord {
    const { uid, gid, ...record } = entry
    if (uid === undefined || gid === undefined) return record
    const key = `${uid}:${gid}`
    let index = this.rows.get(key)
    if (index === undefined) {
      index = this.ids.length
      this.rows.set(key, index)
      this.ids.push({ uid, gid })
    }
    return { ...record, owner: index }
  }

  /** The rows with the user and group names this host gives their ids (null where it has none). */
  async records(): Promise<OwnerRecord[]> {
    const users = new Map<number, Promise<string | null>>()
    const groups = new Map<number, Promise<string | null>>()
    const name = (cache: Map<number, Promise<string | null>>, db: 'passwd' | 'group', id: number) => {
      if (!cache.has(id)) cache.set(id, accountName(db, id))
      return cache.get(id)!
    }
    return await Promise.all(
      this.ids.map(async ({ uid, gid }) => ({
        uid,
        gid,
        user: await name(users, 'passwd', uid),
        group: await name(groups, 'group', gid)
      }))
    )
  }
}
