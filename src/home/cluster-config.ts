import { getString, type HoconConfig } from './hocon.js'
import type { ClusterConfig } from './types.js'

/**
 * Whether the home's config makes this server one node of a cluster: `xl.cluster.mode` other than 'default'
 * (hot-standby, full; 7.5 and later), or, in the JCR era, `xl.repository.configuration = cluster`.
 */
export function clusterConfig(hocon: HoconConfig): ClusterConfig | undefined {
  const mode = getString(hocon, 'xl.cluster.mode')?.trim()
  if (mode !== undefined && mode !== '' && mode !== 'default') return { mode, key: 'xl.cluster.mode' }
  const jcr = getString(hocon, 'xl.repository.configuration')?.trim()
  if (jcr === 'cluster') return { mode: jcr, key: 'xl.repository.configuration' }
  return undefined
}
