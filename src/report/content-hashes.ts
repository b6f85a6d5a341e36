/**
 * Content hashes by slot, 8 bytes each: the 16 hex characters of a content hash (see
 * enqueue/content-hash.ts) kept as two 32-bit halves in growable typed arrays, not as a million
 * strings of ~40 bytes each. A hash of another shape (none is expected) is kept as it is.
 */
export type ContentHashes = {
  /** Adds the hash of the next slot (0, 1, ...). */
  push(hash: string): void;
  /** Whether the slot's hash is `hash`. */
  is(slot: number, hash: string): boolean;
  get(slot: number): string;
};

const COMPACT = /^[0-9a-f]{16}$/;

export function makeContentHashes(initialSlots = 1024): ContentHashes {
  let high = new Uint32Array(initialSlots);
  let low = new Uint32Array(initialSlots);
  const odd = new Map<number, string>();
  let count = 0;
  const grow = () => {
    const bigger = (array: Uint32Array) => {
      const next = new Uint32Array(array.length * 2);
      next.set(array);
      return next;
    };
    high = bigger(high);
    low = bigger(low);
  };
  return {
    push(hash) {
      if (count === high.length) grow();
      if (COMPACT.test(hash)) {
        high[count] = parseInt(hash.slice(0, 8), 16);
        low[count] = parseInt(hash.slice(8), 16);
      } else odd.set(count, hash);
      count += 1;
    },
    is(slot, hash) {
      if (slot >= count) return false;
      const kept = odd.get(slot);
      if (kept !== undefined) return kept === hash;
      return (
        COMPACT.test(hash) &&
        high[slot] === parseInt(hash.slice(0, 8), 16) &&
        low[slot] === parseInt(hash.slice(8), 16)
      );
    },
    get(slot) {
      const kept = odd.get(slot);
      if (kept !== undefined || slot >= count) return kept ?? '';
      const hex = (value: number | undefined) => (value ?? 0).toString(16).padStart(8, '0');
      return hex(high[slot]) + hex(low[slot]);
    },
  };
}
