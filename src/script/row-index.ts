import { MODEL_SLUGS, type ModelSlug } from '../segmind/models.js';
import { defaultRowId } from './row-id.js';

/** Bytes of a stored content hash (16 hex characters). */
const HASH_BYTES = 8;
const INITIAL_ROWS = 1024;

/** What pass 1 keeps of one row: no text, so that a million rows fit in a few tens of MB. */
export type RowEntry = {
  readonly line: number;
  /** The row's own id; undefined when it takes the default (or is invalid). */
  readonly id: string | undefined;
  /** Undefined for an invalid row. */
  readonly contentHash: string | undefined;
  readonly chars: number;
  readonly model: ModelSlug | undefined;
};

/** Compact per-row data by seq, in typed arrays that grow by doubling. */
export type RowIndex = {
  readonly count: () => number;
  readonly push: (entry: RowEntry) => void;
  readonly line: (seq: number) => number;
  /** The row's id: its own, or the default for its seq once every row is pushed. */
  readonly id: (seq: number) => string | undefined;
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

const bytes = (size: number) => new Uint8Array(size);
const words = (size: number) => new Uint32Array(size);

export function makeRowIndex(): RowIndex {
  let count = 0;
  let lines = words(INITIAL_ROWS);
  let chars = words(INITIAL_ROWS);
  /** 0 = invalid, otherwise 1 + index in MODEL_SLUGS. */
  let models = bytes(INITIAL_ROWS);
  let hashes = bytes(INITIAL_ROWS * HASH_BYTES);
  /** Own ids, ASCII by the id rule, end to end; row `seq` ends at idEnds[seq]. Empty = default id. */
  let idText = Buffer.alloc(INITIAL_ROWS * 8);
  let idEnds = words(INITIAL_ROWS);
  let idLength = 0;

  const idStart = (seq: number) => (seq === 0 ? 0 : (idEnds[seq - 1] ?? 0));

  return {
    count: () => count,
    push(entry) {
      const seq = count;
      lines = grown(lines, seq + 1, words);
      chars = grown(chars, seq + 1, words);
      models = grown(models, seq + 1, bytes);
      idEnds = grown(idEnds, seq + 1, words);
      hashes = grown(hashes, (seq + 1) * HASH_BYTES, bytes);
      lines[seq] = entry.line;
      chars[seq] = entry.chars;
      const valid = entry.model !== undefined && entry.contentHash !== undefined;
      models[seq] = valid ? MODEL_SLUGS.indexOf(entry.model) + 1 : 0;
      if (entry.contentHash !== undefined)
        hashes.set(Buffer.from(entry.contentHash, 'hex'), seq * HASH_BYTES);
      const id = entry.id ?? '';
      if (idLength + id.length > idText.length) {
        const next = Buffer.alloc(Math.max(idLength + id.length, idText.length * 2));
        idText.copy(next, 0, 0, idLength);
        idText = next;
      }
      idLength += idText.write(id, idLength, 'latin1');
      idEnds[seq] = idLength;
      count += 1;
    },
    line: (seq) => lines[seq] ?? 0,
    id(seq) {
      if (seq >= count) return undefined;
      const start = idStart(seq);
      const end = idEnds[seq] ?? 0;
      return end > start ? idText.toString('latin1', start, end) : defaultRowId(seq, count);
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
