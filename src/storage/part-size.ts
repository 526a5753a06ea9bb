const MIB = 1024 * 1024

/** What each service allows a multipart upload: S3 (and the S3-compatible stores) and Azure block blobs. */
export const PART_LIMITS = {
  s3: { maxParts: 10_000, minPart: 5 * MIB, maxPart: 5 * 1024 * MIB },
  azure: { maxParts: 50_000, minPart: 1, maxPart: 4000 * MIB }
} as const

/** The part size below which a file is cut into more parts than it needs; larger files get larger parts. */
export const DEFAULT_PART_BYTES = 8 * MIB

/**
 * The part (block) size for a file of `size` bytes: the default, or the smallest whole MiB that keeps the upload
 * within the service's part count. A fixed 5 MiB part fails near 49 GiB on S3. `floor` (tests) may ask for smaller
 * parts than the default, never for more parts than the service allows.
 */
export function partSizeFor(
  size: number,
  limits: { maxParts: number; minPart: number; maxPart: number },
  floor: number = DEFAULT_PART_BYTES
): number {
  const needed = Math.ceil(Math.ceil(size / limits.maxParts) / MIB) * MIB
  const part = Math.max(floor, limits.minPart, needed)
  if (part > limits.maxPart) {
    throw new RangeError(
      `A backup of ${size} bytes needs parts of ${part} bytes, more than the ${limits.maxPart} the service allows.`
    )
  }
  return part
}
