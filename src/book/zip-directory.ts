/** One entry of a zip file's central directory, as declared there. */
export type ZipEntry = {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly encrypted: boolean;
  readonly crc32: number;
  readonly compressedSize: number;
  /** The uncompressed size the directory declares: nothing checks it until the entry is read. */
  readonly size: number;
  readonly localHeaderOffset: number;
};

/** The archive's structure is broken: a signature or an offset is not where it says. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const UNSET32 = 0xffffffff;
const UTF8_NAMES = 0x800;

function reader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inside = (at: number, length: number) => {
    if (at < 0 || at + length > bytes.length)
      throw new ZipFormatError(
        `truncated: ${length} bytes at offset ${at} lie past its end (${bytes.length})`,
      );
  };
  return {
    u16: (at: number) => (inside(at, 2), view.getUint16(at, true)),
    u32: (at: number) => (inside(at, 4), view.getUint32(at, true)),
    u64: (at: number) => {
      inside(at, 8);
      const value = view.getBigUint64(at, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`a size of ${value} bytes`);
      return Number(value);
    },
    slice: (at: number, length: number) => (inside(at, length), bytes.subarray(at, at + length)),
  };
}

/** Offset of the end-of-central-directory record: the last one, within the comment's reach. */
function endOfDirectory(bytes: Uint8Array, read: ReturnType<typeof reader>): number {
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let at = bytes.length - 22; at >= lowest; at -= 1) {
    if (read.u32(at) === END_OF_DIRECTORY) return at;
  }
  throw new ZipFormatError('no end of central directory record');
}

/** Sizes and offset that the directory entry left at 0xFFFFFFFF, from its ZIP64 extra field. */
function zip64Values(
  read: ReturnType<typeof reader>,
  extraAt: number,
  extraLength: number,
  declared: { compressedSize: number; size: number; localHeaderOffset: number },
) {
  const unset = (value: number) => value === UNSET32;
  if (!unset(declared.size) && !unset(declared.compressedSize) && !unset(declared.localHeaderOffset))
    return declared;
  for (let at = extraAt; at + 4 <= extraAt + extraLength; at += 4 + read.u16(at + 2)) {
    if (read.u16(at) !== 1) continue;
    let field = at + 4;
    const next = () => {
      const value = read.u64(field);
      field += 8;
      return value;
    };
    const size = unset(declared.size) ? next() : declared.size;
    const compressedSize = unset(declared.compressedSize) ? next() : declared.compressedSize;
    const localHeaderOffset = unset(declared.localHeaderOffset) ? next() : declared.localHeaderOffset;
    return { size, compressedSize, localHeaderOffset };
  }
  throw new ZipFormatError('an entry needs a ZIP64 extra field and has none');
}

/**
 * The central directory of a zip held in memory (ZIP64 included), entries in directory order.
 * Names are UTF-8 when the entry says so, else Latin-1 (as fflate, which inflates, reads them).
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const read = reader(bytes);
  const end = endOfDirectory(bytes, read);
  let count = read.u16(end + 10);
  let at = read.u32(end + 16);
  if (end >= 20 && read.u32(end - 20) === ZIP64_LOCATOR) {
    const zip64End = read.u64(end - 12);
    if (read.u32(zip64End) !== ZIP64_END_OF_DIRECTORY) throw new ZipFormatError('a broken ZIP64 record');
    count = read.u64(zip64End + 32);
    at = read.u64(zip64End + 48);
  }
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (read.u32(at) !== DIRECTORY_ENTRY)
      throw new ZipFormatError(`central directory entry ${index + 1} is not at offset ${at}`);
    const flags = read.u16(at + 8);
    const nameLength = read.u16(at + 28);
    const extraLength = read.u16(at + 30);
    const commentLength = read.u16(at + 32);
    const raw = read.slice(at + 46, nameLength);
    const name = flags & UTF8_NAMES ? new TextDecoder('utf-8').decode(raw) : String.fromCharCode(...raw);
    const sizes = zip64Values(read, at + 46 + nameLength, extraLength, {
      compressedSize: read.u32(at + 20),
      size: read.u32(at + 24),
      localHeaderOffset: read.u32(at + 42),
    });
    entries.push({
      name,
      method: read.u16(at + 10),
      encrypted: (flags & 1) === 1,
      crc32: read.u32(at + 16),
      ...sizes,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The entry's bytes as stored in the archive (compressed), found through its local header. */
export function storedBytes(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const read = reader(bytes);
  const at = entry.localHeaderOffset;
  if (read.u32(at) !== LOCAL_HEADER) throw new ZipFormatError(`no local header at offset ${at}`);
  return read.slice(at + 30 + read.u16(at + 26) + read.u16(at + 28), entry.compressedSize);
}
