import type { LineSpan } from './jsonl-lines.js';

/**
 * The manifest lines that count, 24 bytes each in growable typed arrays: where the line is, its
 * script order, and a 64-bit key of its row id (two 32-bit FNV-1a hashes with different seeds).
 * A million rows cost ~24 MB here instead of a Map of a million id strings.
 */
export type LineTable = {
  readonly count: number;
  push(span: LineSpan, seq: number, id: string): void;
  span(at: number): LineSpan;
  seq(at: number): number;
  /** Compares the id keys of two lines (then their offsets): groups a row's lines together. */
  compareKeys(a: number, b: number): number;
  sameKey(a: number, b: number): boolean;
  /** Whether some line has the key of `id` (its row has a line; exact but for a 1 in 2^64 chance). */
  hasKey(sortedByKey: Uint32Array, id: string): boolean;
};

const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units, from `seed`. */
function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let at = 0; at < text.length; at += 1) {
    hash ^= text.charCodeAt(at);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

const keyOf = (id: string): [number, number] => [fnv1a(id, 0x811c9dc5), fnv1a(id, 0x050c5d1f)];

export function makeLineTable(expectedLines: number): LineTable {
  let capacity = Math.max(1024, expectedLines);
  let offsets = new Float64Array(capacity);
  let lengths = new Uint32Array(capacity);
  let seqs = new Uint32Array(capacity);
  let keys = new Uint32Array(capacity * 2);
  let count = 0;
  const grow = () => {
    capacity = Math.ceil(capacity * 1.5);
    const widen = <T extends Float64Array | Uint32Array>(
      array: T,
      make: (size: number) => T,
      size: number,
    ) => {
      const next = make(size);
      next.set(array);
      return next;
    };
    offsets = widen(offsets, (size) => new Float64Array(size), capacity);
    lengths = widen(lengths, (size) => new Uint32Array(size), capacity);
    seqs = widen(seqs, (size) => new Uint32Array(size), capacity);
    keys = widen(keys, (size) => new Uint32Array(size), capacity * 2);
  };
  const compareAt = (a: number, b: number) =>
    (keys[2 * a] ?? 0) - (keys[2 * b] ?? 0) || (keys[2 * a + 1] ?? 0) - (keys[2 * b + 1] ?? 0);
  return {
    get count() {
      return count;
    },
    push(span, seq, id) {
      if (count === capacity) grow();
      offsets[count] = span.offset;
      lengths[count] = span.bytes;
      seqs[count] = seq;
      const [first, second] = keyOf(id);
      keys[2 * count] = first;
      keys[2 * count + 1] = second;
      count += 1;
    },
    span: (at) => ({ offset: offsets[at] ?? 0, bytes: lengths[at] ?? 0 }),
    seq: (at) => seqs[at] ?? 0,
    compareKeys: (a, b) => compareAt(a, b) || (offsets[a] ?? 0) - (offsets[b] ?? 0),
    sameKey: (a, b) => compareAt(a, b) === 0,
    hasKey(sortedByKey, id) {
      const [first, second] = keyOf(id);
      let low = 0;
      let high = sortedByKey.length - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const at = sortedByKey[middle] ?? 0;
        const order = (keys[2 * at] ?? 0) - first || (keys[2 * at + 1] ?? 0) - second;
        if (order === 0) return true;
        if (order < 0) low = middle + 1;
        else high = middle - 1;
      }
      return false;
    },
  };
}
