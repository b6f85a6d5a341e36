import { fatal } from './problems.js';

const NEWLINE = 0x0a;

function countNewlines(bytes: Uint8Array, end = bytes.length): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1 && at < end; at = bytes.indexOf(NEWLINE, at + 1)) {
    count += 1;
  }
  return count;
}

/** Bytes at the end of `bytes` that start a UTF-8 sequence not yet complete. */
function incompleteTailLength(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

/** The length of the shortest prefix of `bytes` that is not valid UTF-8 (it ends with the bad byte). */
function firstInvalidPrefixLength(bytes: Uint8Array): number {
  let low = 1;
  let high = bytes.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
      low = middle + 1;
    } catch {
      high = middle;
    }
  }
  return low;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Decodes a script's bytes as UTF-8, refusing (with the file and line) bytes that are not UTF-8,
 * NUL bytes, and UTF-16. The BOM is kept for the format readers to drop.
 */
export async function* decodeUtf8(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let carry: Uint8Array = new Uint8Array(0);
  let linesBefore = 0;
  let first = true;
  for await (const chunk of chunks) {
    const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    if (first && bytes.length >= 2) {
      first = false;
      if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
        throw fatal(file, 1, 'encoding', 'the file is UTF-16; save the script as UTF-8');
      }
    }
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      const line = linesBefore + countNewlines(bytes, nul) + 1;
      throw fatal(file, line, 'encoding', 'NUL byte: this looks like a binary file, not a UTF-8 text script');
    }
    const complete = bytes.length - incompleteTailLength(bytes);
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, complete));
    } catch {
      const bad = firstInvalidPrefixLength(bytes.subarray(0, complete));
      const line = linesBefore + countNewlines(bytes, bad - 1) + 1;
      const start = Math.max(0, bad - 4);
      const shown = [...bytes.subarray(start, bad)].filter((byte) => byte >= 0x80).map(hex);
      throw fatal(
        file,
        line,
        'encoding',
        `not valid UTF-8 (bytes ${shown.join(' ')}); save the script as UTF-8`,
      );
    }
    linesBefore += countNewlines(bytes, complete);
    carry = bytes.slice(complete);
    if (text !== '') yield text;
  }
  if (carry.length > 0) {
    throw fatal(file, linesBefore + 1, 'encoding', 'the file ends inside a UTF-8 character');
  }
}
