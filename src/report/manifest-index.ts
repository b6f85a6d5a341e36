import { isMetadataColumn } from '../output/final-manifest.js';
import type { FinishedRows } from './finished-rows.js';
import { forEachLine, type LineSpan } from './jsonl-lines.js';
import { decodeManifestLine } from './manifest-line.js';

/** Where each finished row's manifest line is in manifest.jsonl, by slot (see FinishedRows). */
export type ManifestIndex = {
  /** Whether manifest.jsonl exists. */
  readonly found: boolean;
  /** The span of the slot's line, or undefined when the file has none for its outcome (yet). */
  span(slot: number): LineSpan | undefined;
  /** The `seq` (script order) of the slot's line. */
  seq(slot: number): number;
  /** Metadata columns of the lines, in script order of first appearance (manifest.csv's extra columns). */
  readonly metadataColumns: readonly string[];
};

/**
 * One pass over manifest.jsonl: for each row with an outcome for its current content, the last
 * line with that content hash and that status (a row is appended again when it is made again;
 * the last line is the outcome Redis recorded). Holds 20 bytes per row, not the lines.
 */
export async function indexManifestLines(path: string, rows: FinishedRows): Promise<ManifestIndex> {
  const offsets = new Float64Array(rows.count).fill(-1);
  const lengths = new Uint32Array(rows.count);
  const seqs = new Float64Array(rows.count);
  const columns = new Map<string, { seq: number; position: number }>();
  const found = await forEachLine(path, (text, span) => {
    const entry = decodeManifestLine(text);
    if (!entry) return;
    const slot = rows.slotOf(entry.id);
    if (slot === undefined) return;
    if (!rows.contentHashIs(slot, entry.content_hash) || rows.status(slot) !== entry.status) return;
    offsets[slot] = span.offset;
    lengths[slot] = span.bytes;
    seqs[slot] = entry.seq;
    Object.keys(entry.metadata).forEach((key, position) => {
      const first = columns.get(key);
      if (!first || entry.seq < first.seq || (entry.seq === first.seq && position < first.position)) {
        columns.set(key, { seq: entry.seq, position });
      }
    });
  });
  const metadataColumns = [...columns.entries()]
    .filter(([key]) => isMetadataColumn(key))
    .sort(([, a], [, b]) => a.seq - b.seq || a.position - b.position)
    .map(([key]) => key);
  return {
    found,
    span: (slot) => {
      const offset = offsets[slot] ?? -1;
      return offset < 0 ? undefined : { offset, bytes: lengths[slot] ?? 0 };
    },
    seq: (slot) => seqs[slot] ?? 0,
    metadataColumns,
  };
}
