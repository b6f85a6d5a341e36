import { createHash } from 'node:crypto';

// Every random choice is a hash of (seed, what is being decided, which instance of it), never a
// draw from a shared stream: a seeded run then replays exactly however concurrent clients interleave.

function digest(seed: number, parts: readonly (string | number)[]): Buffer {
  return createHash('sha256')
    .update([String(seed), ...parts.map(String)].join('\u0000'))
    .digest();
}

/** A uniform number in [0, 1) determined by the seed and the parts alone. */
export function seededUniform(seed: number, ...parts: readonly (string | number)[]): number {
  return digest(seed, parts).readUIntBE(0, 6) / 2 ** 48;
}

/** A standard normal number determined by the seed and the parts alone (Box-Muller). */
export function seededNormal(seed: number, ...parts: readonly (string | number)[]): number {
  const bytes = digest(seed, parts);
  // 1 - u keeps the logarithm's argument in (0, 1].
  const u1 = 1 - bytes.readUIntBE(0, 6) / 2 ** 48;
  const u2 = bytes.readUIntBE(6, 6) / 2 ** 48;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A UUID in version-4 format determined by the seed and the parts alone. */
export function seededUuid(seed: number, ...parts: readonly (string | number)[]): string {
  const bytes = digest(seed, parts).subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
