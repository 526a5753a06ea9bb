import { DatabaseError } from '../shared/errors.js'
import { describe } from './resolve.js'
import type { DatabaseTarget } from './types.js'
import { Input } from '../shared/io-names.js'

/**
 * Tables that mark a database as XL Release's: Liquibase's bookkeeping (every XL Release schema since 7.5 is managed
 * by Liquibase), the XL_VERSION table, and the XLR_ prefix of the repository and archive tables.
 */
export const XLR_MARKER_TABLES = ['databasechangelog', 'databasechangeloglock', 'xl_version']
export const XLR_TABLE_PREFIX = 'xlr_'

/** True when `tables` (plain or schema-qualified names) are empty or include one of XL Release's markers. */
export function looksLikeXlReleaseDatabase(tables: string[]): boolean {
  if (tables.length === 0) return true
  return tables.some(t => {
    const name = t.slice(t.lastIndexOf('.') + 1).toLowerCase()
    return XLR_MARKER_TABLES.includes(name) || name.startsWith(XLR_TABLE_PREFIX)
  })
}

/** Refuses a non-empty database that does not look like XL Release's, unless the caller allows it. */
export function foreignTargetGuard(target: DatabaseTarget, allow: boolean): (tables: string[]) => void {
  return tables => {
    if (looksLikeXlReleaseDatabase(tables)) return
    const sample = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '')
    if (allow) return
    throw new DatabaseError(
      `Refusing to restore into the ${describe(target)} database: it holds ${tables.length} table(s) (${sample}) and none ` +
        `of them is XL Release's (no DATABASECHANGELOG, XL_VERSION or XLR_* table), so it may be another ` +
        `application's database that the restore would overwrite. Check the database URL; if this is really the ` +
        `target, set '${Input.AllowForeignDatabase}: true'.`
    )
  }
}
