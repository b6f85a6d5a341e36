import { crc32 } from './crc32.js';
import { inflateSync } from 'fflate';
import { UsageError } from '../errors.js';
import { readZipDirectory, storedBytes, type ZipEntry } from './zip-directory.js';

/** Bounds that refuse a zip bomb before anything is inflated. */
export const ZIP_LIMITS = {
  /** Sum of the declared uncompressed sizes of all entries. */
  maxTotalBytes: 512 * 1024 * 1024,
  /** Declared uncompressed size over compressed size, for entries over `ratioFloorBytes`. */
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
  maxEntries: 20_000,
} as const;

/** The entries of a zip file, read one at a time. */
export type ZipArchive = {
  readonly names: readonly string[];
  has(name: string): boolean;
  /**
   * The entry's bytes, undefined when absent: exactly its declared size with its declared CRC-32,
   * else a UsageError (an entry that inflates to more than its directory declares is never cut).
   */
  read(name: string): Uint8Array | undefined;
  /** The entry as UTF-8 text (BOM removed). */
  readText(name: string): string | undefined;
};

/** Why an entry name reaches outside the archive, or undefined. */
function outsideArchive(name: string): boolean {
  if (name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name) || name.includes('\0'))
    return true;
  return name.split('/').some((part) => part === '..');
}

/** The directory, refused (a message) when an entry is outside the archive or it is a zip bomb. */
function checkedEntries(entries: readonly ZipEntry[], file: string): Map<string, ZipEntry> {
  const checked = new Map<string, ZipEntry>();
  let total = 0;
  for (const entry of entries) {
    if (outsideArchive(entry.name)) {
      throw new UsageError(`${file}: refused: the archive has an entry outside it (\`${entry.name}\`)`);
    }
    total += entry.size;
    const bomb =
      checked.size >= ZIP_LIMITS.maxEntries ||
      total > ZIP_LIMITS.maxTotalBytes ||
      (entry.size > ZIP_LIMITS.ratioFloorBytes && entry.size > entry.compressedSize * ZIP_LIMITS.maxRatio);
    if (bomb) {
      throw new UsageError(
        `${file}: refused: the archive inflates beyond safe bounds (a zip bomb?): at \`${entry.name}\`, ` +
          `${entry.size} bytes from ${entry.compressedSize}, ${total} bytes in ${checked.size + 1} entries so far ` +
          `(at most ${ZIP_LIMITS.maxTotalBytes} bytes, ratio ${ZIP_LIMITS.maxRatio}, ${ZIP_LIMITS.maxEntries} entries)`,
      );
    }
    checked.set(entry.name, entry);
  }
  return checked;
}

/**
 * The entry's content, inflated into a buffer one byte longer than its declared size so that
 * an entry holding more than it declares is caught (inflating never grows past the buffer, so
 * the bomb bounds on declared sizes also bound memory); its length and CRC-32 are then checked.
 * Returns the content or why it is refused.
 */
function inflateEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array | string {
  if (entry.encrypted) return 'it is encrypted';
  const stored = storedBytes(bytes, entry);
  let data: Uint8Array;
  if (entry.method === 0) data = stored.slice();
  else if (entry.method === 8)
    data = stored.length === 0 ? stored : inflateSync(stored, { out: new Uint8Array(entry.size + 1) });
  else return `its compression method ${entry.method} is not supported (only stored and deflate)`;
  if (data.length > entry.size)
    return `it holds more than the ${entry.size} bytes its directory entry declares`;
  if (data.length < entry.size)
    return `it holds ${data.length} bytes, not the ${entry.size} its directory entry declares`;
  if (crc32(data) !== entry.crc32) return 'its CRC-32 does not match its directory entry';
  return data;
}

/**
 * Opens a zip held in memory, refusing (UsageError, naming `file`) entries outside the archive
 * (`../`, absolute paths) and archives whose declared sizes exceed `ZIP_LIMITS`. Reading an
 * entry whose content disagrees with its directory entry (size, CRC-32) is refused too, naming
 * the entry: a damaged or crafted archive is never read silently cut or grown.
 */
export function openZipArchive(bytes: Uint8Array, file: string): ZipArchive {
  let entries: Map<string, ZipEntry>;
  try {
    entries = checkedEntries(readZipDirectory(bytes), file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: not a readable zip archive (${(error as Error).message})`, {
      cause: error,
    });
  }
  const read = (name: string): Uint8Array | undefined => {
    const entry = entries.get(name);
    if (entry === undefined) return undefined;
    let data: Uint8Array | string;
    try {
      data = inflateEntry(bytes, entry);
    } catch (error) {
      throw new UsageError(`${file}: cannot inflate \`${name}\` (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (typeof data === 'string') {
      throw new UsageError(
        `${file}: refused: the archive's entry \`${name}\` is damaged or crafted: ${data}`,
      );
    }
    return data;
  };
  return {
    names: [...entries.keys()],
    has: (name) => entries.has(name),
    read,
    readText(name) {
      const data = read(name);
      return data === undefined ? undefined : new TextDecoder('utf-8').decode(data).replace(/^\uFEFF/, '');
    },
  };
}
