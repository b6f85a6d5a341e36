import { open } from 'node:fs/promises';
import type { RedisClient } from '../redis/connection.js';
import { isMetadataColumn } from '../output/final-manifest.js';
import { runKeys } from '../queue/keys.js';
import { decodeRowOutcome } from '../queue/row-outcome-codec.js';
import { lineBatches, readLineSpans, type SpannedLine } from './jsonl-lines.js';
import { makeLineTable, type LineTable } from './line-table.js';
import { decodeManifestLine } from './manifest-line.js';

/** The manifest.jsonl lines that make a run's final manifests. */
export type ManifestIndex = {
  /** Whether manifest.jsonl exists. */
  readonly found: boolean;
  readonly table: LineTable;
  /** The lines to write (indexes into `table`), one per row, in script order. */
  readonly order: Uint32Array;
  /** Every line of `table`, sorted by row id key (for `table.hasKey`). */
  readonly byKey: Uint32Array;
  /** Metadata columns of the lines, in script order of first appearance (manifest.csv's extra columns). */
  readonly metadataColumns: readonly string[];
};

type Columns = Map<string, { seq: number; position: number }>;

/** Keeps the lines of a batch that are their row's recorded outcome for its current content. */
async function keepCurrent(
  redis: RedisClient,
  keys: ReturnType<typeof runKeys>,
  lines: readonly SpannedLine[],
  table: LineTable,
  columns: Columns,
): Promise<void> {
  const entries = lines.map(({ text }) => decodeManifestLine(text));
  const ids = entries.flatMap((entry) => (entry ? [entry.id] : []));
  if (ids.length === 0) return;
  const replies = await redis
    .pipeline()
    .hmget(keys.outcomes, ...ids)
    .hmget(keys.rows, ...ids)
    .exec();
  const outcomes = (replies?.[0]?.[1] ?? []) as (string | null)[];
  const rows = (replies?.[1]?.[1] ?? []) as (string | null)[];
  let at = 0;
  entries.forEach((entry, index) => {
    if (!entry) return;
    const outcome = decodeRowOutcome(outcomes[at]);
    const rowHash = rows[at];
    at += 1;
    const current =
      outcome?.contentHash === entry.content_hash &&
      outcome.status === entry.status &&
      rowHash === entry.content_hash;
    const span = lines[index]?.span;
    if (!current || !span) return;
    table.push(span, entry.seq, entry.id);
    Object.keys(entry.metadata).forEach((key, position) => {
      const first = columns.get(key);
      if (!first || entry.seq < first.seq || (entry.seq === first.seq && position < first.position)) {
        columns.set(key, { seq: entry.seq, position });
      }
    });
  });
}

/**
 * Drops all but the last line of a row (a row's outcome can be appended again, e.g. by a worker
 * that found its line missing). Lines with the same id key are read back and their ids compared,
 * so a key collision never drops a row.
 */
async function lastLinePerRow(path: string, table: LineTable, byKey: Uint32Array): Promise<Uint8Array> {
  const dropped = new Uint8Array(table.count);
  let handle;
  try {
    for (let start = 0; start < byKey.length;) {
      let end = start + 1;
      while (end < byKey.length && table.sameKey(byKey[start] ?? 0, byKey[end] ?? 0)) end += 1;
      if (end - start > 1) {
        handle ??= await open(path, 'r');
        const group = Array.from(byKey.subarray(start, end));
        const texts = await readLineSpans(
          handle,
          group.map((line) => table.span(line)),
        );
        const last = new Map<string, number>();
        group.forEach((line, at) => {
          const id = decodeManifestLine(texts[at] ?? '')?.id ?? '';
          const kept = last.get(id);
          // byKey is in offset order within a key: a later line replaces an earlier one.
          if (kept !== undefined) dropped[kept] = 1;
          last.set(id, line);
        });
      }
      start = end;
    }
  } finally {
    await handle?.close();
  }
  return dropped;
}

/**
 * One pass over manifest.jsonl: the lines whose row, content hash and status are the row's
 * recorded outcome for its current content (checked against Redis a chunk of lines at a time),
 * the last one per row, in script order. Holds 24 bytes per line kept, not the lines or the ids.
 */
export async function indexManifest(
  redis: RedisClient,
  prefix: string,
  run: string,
  path: string,
): Promise<ManifestIndex> {
  const keys = runKeys(prefix, run);
  const table = makeLineTable(await redis.hlen(keys.outcomes));
  const columns: Columns = new Map();
  let found = true;
  try {
    for await (const lines of lineBatches(path)) await keepCurrent(redis, keys, lines, table, columns);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    found = false;
  }
  const all = Uint32Array.from({ length: table.count }, (_, at) => at);
  const byKey = all.slice().sort((a, b) => table.compareKeys(a, b));
  const dropped = await lastLinePerRow(path, table, byKey);
  const order = all
    .filter((line) => dropped[line] !== 1)
    .sort((a, b) => table.seq(a) - table.seq(b) || a - b);
  const metadataColumns = [...columns.entries()]
    .filter(([key]) => isMetadataColumn(key))
    .sort(([, a], [, b]) => a.seq - b.seq || a.position - b.position)
    .map(([key]) => key);
  return { found, table, order, byKey, metadataColumns };
}
