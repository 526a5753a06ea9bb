/** The backup ZIP: the writer (one sequential pass), the reader (checked against the manifest), the manifest types. */
export * from './manifest.js'
export { ZipWriter, type ZipWriterOptions, type AddTreeOptions } from './zip-writer.js'
export { ExcludeMatcher } from './exclude.js'
export { walkTree, type TreeEntry } from './tree-walker.js'
export { openBackupArchive, type BackupArchive, type ArchiveEntry } from './backup-archive.js'
export { verifyArchive, type VerifyOptions, type VerifyReport } from './verify.js'
export { extractArchive, type ExtractOptions, type ExtractReport } from './extract.js'
