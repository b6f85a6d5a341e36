import { MODEL_SLUGS, type ModelSlug } from '../segmind/models.js';

/** Bytes of a stored content hash (16 hex characters). */
const HASH_BYTES = 8;
const INITIAL_ROWS = 1024;

/** What pass 1 keeps of one row: no text, so that a million rows stay within a few tens of MB. */
export type RowEntry = {
  readonly line: number;
  /** Undefined for a row that still needs its default id (or an invalid row). */
  readonly id: string | undefined;
  readonly contentHash: string | undefined;
  readonly chars: number;
  readonly model: ModelSlug | undefined;
};

/** Compact per-row data by seq, in typed arrays that grow by doubling. */
export type RowIndex = {
  readonly count: () => number;
  readonly push: (entry: RowEntry) => void;
  readonly line: (seq: number) => number;
  readonly id: (seq: number) => string | undefined;
  readonly setId: (seq: number, id: string) => void;
  readonly contentHash: (seq: number) => string | undefined;
  readonly chars: (seq: number) => number;
  readonly model: (seq: number) => ModelSlug | undefined;
  readonly isValid: (seq: number) => boolean;
  readonly invalidate: (seq: number) => void;
};

function grown<T extends Uint8Array | Uint32Array>(array: T, needed: number, make: (size: number) => T): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

export function makeRowIndex(): RowIndex {
  let count = 0;
  let lines = new Uint32Array(INITIAL_ROWS);
  let chars = new Uint32Array(INITIAL_ROWS);
  /** 0 = invalid, otherwise 1 + index in MODEL_SLUGS. */
  let models = new Uint8Array(INITIAL_ROWS);
  let hashes = new Uint8Array(INITIAL_ROWS * HASH_BYTES);
  const ids: (string | undefined)[] = [];

  return {
    count: () => count,
    push(entry) {
      const seq = count;
      lines = grown(lines, seq + 1, (size) => new Uint32Array(size));
      chars = grown(chars, seq + 1, (size) => new Uint32Array(size));
      models = grown(models, seq + 1, (size) => new Uint8Array(size));
      hashes = grown(hashes, (seq + 1) * HASH_BYTES, (size) => new Uint8Array(size));
      lines[seq] = entry.line;
      chars[seq] = entry.chars;
      const valid = entry.model !== undefined && entry.contentHash !== undefined;
      models[seq] = valid ? MODEL_SLUGS.indexOf(entry.model) + 1 : 0;
      if (entry.contentHash !== undefined)
        hashes.set(Buffer.from(entry.contentHash, 'hex'), seq * HASH_BYTES);
      ids.push(entry.id);
      count += 1;
    },
    line: (seq) => lines[seq] ?? 0,
    id: (seq) => ids[seq],
    setId(seq, id) {
      ids[seq] = id;
    },
    contentHash(seq) {
      if ((models[seq] ?? 0) === 0) return undefined;
      return Buffer.from(hashes.buffer, hashes.byteOffset + seq * HASH_BYTES, HASH_BYTES).toString('hex');
    },
    chars: (seq) => chars[seq] ?? 0,
    model: (seq) => MODEL_SLUGS[(models[seq] ?? 0) - 1],
    isValid: (seq) => (models[seq] ?? 0) !== 0,
    invalidate(seq) {
      models[seq] = 0;
    },
  };
}
