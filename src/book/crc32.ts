import * as zlib from 'node:zlib';

/** The CRC-32 table of the zip format (polynomial 0xEDB88320, reflected). */
const TABLE = Uint32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

/** The CRC-32 of `data` computed here, byte by byte (for Node before 20.15, which has no `zlib.crc32`). */
export function crc32Table(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let at = 0; at < data.length; at += 1) {
    crc = (TABLE[(crc ^ (data[at] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** The CRC-32 a zip entry declares for its content (ISO 3309, as zlib computes it). */
export const crc32: (data: Uint8Array) => number = native ?? crc32Table;
