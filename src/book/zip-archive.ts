import { unzipSync, type UnzipFileInfo } from 'fflate';
import { UsageError } from '../errors.js';

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
  /** The entry's bytes, undefined when absent. Never more than its declared size. */
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

/**
 * Opens a zip held in memory, refusing (UsageError, naming `file`) entries outside the archive
 * (`../`, absolute paths) and archives whose declared sizes exceed `ZIP_LIMITS`. Inflating an
 * entry writes into a buffer of its declared size, so an entry that lies about its size is cut
 * there, not grown.
 */
export function openZipArchive(bytes: Uint8Array, file: string): ZipArchive {
  const entries = new Map<string, UnzipFileInfo>();
  let total = 0;
  try {
    unzipSync(bytes, {
      filter: (info) => {
        if (outsideArchive(info.name)) {
          throw new UsageError(`${file}: refused: the archive has an entry outside it (\`${info.name}\`)`);
        }
        total += info.originalSize;
        const bomb =
          entries.size >= ZIP_LIMITS.maxEntries ||
          total > ZIP_LIMITS.maxTotalBytes ||
          (info.originalSize > ZIP_LIMITS.ratioFloorBytes &&
            info.originalSize > info.size * ZIP_LIMITS.maxRatio);
        if (bomb) {
          throw new UsageError(
            `${file}: refused: the archive inflates beyond safe bounds (a zip bomb?): at \`${info.name}\`, ` +
              `${info.originalSize} bytes from ${info.size}, ${total} bytes in ${entries.size + 1} entries so far ` +
              `(at most ${ZIP_LIMITS.maxTotalBytes} bytes, ratio ${ZIP_LIMITS.maxRatio}, ${ZIP_LIMITS.maxEntries} entries)`,
          );
        }
        entries.set(info.name, info);
        return false;
      },
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: not a readable zip archive (${(error as Error).message})`, {
      cause: error,
    });
  }
  const read = (name: string): Uint8Array | undefined => {
    if (!entries.has(name)) return undefined;
    try {
      return unzipSync(bytes, { filter: (info) => info.name === name })[name];
    } catch (error) {
      throw new UsageError(`${file}: cannot inflate \`${name}\` (${(error as Error).message})`, {
        cause: error,
      });
    }
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
