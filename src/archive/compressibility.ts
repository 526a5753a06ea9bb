/**
 * Deciding what is worth deflating. zlib spends as long on incompressible bytes as on text (~35 MB/s a core at any
 * level, measured on this project's bench machine), so storing what is already compressed is the biggest single
 * saving: a home is mostly jars.
 */

/** Extensions whose content is already compressed (zip-based archives, compressed streams, media). */
export const COMPRESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  // zip containers
  'jar',
  'war',
  'ear',
  'zip',
  'apk',
  'aar',
  'nupkg',
  'whl',
  'docx',
  'xlsx',
  'pptx',
  'odt',
  'ods',
  'odp',
  // compressed streams and archives
  'gz',
  'tgz',
  'bz2',
  'tbz',
  'tbz2',
  'xz',
  'txz',
  'zst',
  'tzst',
  'lz4',
  'lzma',
  'lz',
  'br',
  '7z',
  'rar',
  'z',
  // images, audio, video, fonts
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'heic',
  'avif',
  'mp3',
  'mp4',
  'm4a',
  'mov',
  'mkv',
  'avi',
  'webm',
  'ogg',
  'woff',
  'woff2'
])

/** True when the file name says its content is already compressed, so deflating it would only cost time. */
export function isCompressedByName(name: string): boolean {
  const slash = name.lastIndexOf('/')
  const dot = name.lastIndexOf('.')
  if (dot <= slash + 1) return false // no extension, or a dot-file such as '.profile'
  return COMPRESSED_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())
}

/**
 * The sample check for everything else (files without a telling extension, and each chunk of a large file such as
 * an embedded database): deflate a few small slices at level 1 and store the data when none of them shrinks. It costs
 * ~0.5% of deflating the data, and saves nearly all of it on random-looking pages.
 */
export const SAMPLE = {
  /** Data shorter than this is simply deflated: the check would cost more than it saves. */
  minLength: 64 * 1024,
  sliceLength: 4 * 1024,
  slices: 3,
  /** Large data is judged per segment of this size, so mixed files (databases) deflate only their text pages. */
  segment: 64 * 1024,
  /** A slice whose deflated size is below this fraction of its length counts as compressible. */
  ratio: 0.94
} as const
