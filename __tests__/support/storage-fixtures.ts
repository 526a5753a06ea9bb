import type { StorageSettings } from '../../src/settings/settings.js'

/** Storage settings as parseSettings gives them with no storage input set but `kind` (and `over`). */
export function storageSettings(kind: StorageSettings['kind'], over: Partial<StorageSettings> = {}): StorageSettings {
  return {
    kind,
    path: '',
    name: '',
    namePrefix: '',
    runId: null,
    repository: '',
    githubToken: '',
    retentionDays: null,
    bucket: '',
    endpoint: '',
    region: 'us-east-1',
    forcePathStyle: false,
    immutableDays: null,
    immutableMode: 'governance',
    ...over
  }
}
