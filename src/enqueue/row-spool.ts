import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScriptRow } from '../script/script-row.js';

/** A validated row as pass 1 leaves it for pass 2 (its id and content hash are in the row index). */
export type SpooledRow = Pick<ScriptRow, 'seq' | 'line' | 'request' | 'meta'>;

/**
 * Pass 1 writes every validated row here as a JSON line, so that pass 2 adds jobs from it
 * instead of parsing and validating the script a second time: on one thread, that second pass
 * competed with BullMQ's own serialisation. Memory stays flat (a file, streamed both ways).
 */
export type RowSpool = {
  write(row: ScriptRow): void;
  /** Resolves when the file has taken what was written (backpressure). */
  drained(): Promise<void>;
  /** Finishes writing, then reads the rows back in script order, `batchRows` at a time. */
  read(batchRows: number): AsyncIterable<SpooledRow[]>;
  remove(): Promise<void>;
};

const READ_CHUNK_BYTES = 1 << 20;

export async function openRowSpool(): Promise<RowSpool> {
  const dir = await mkdtemp(join(tmpdir(), 'tts-enqueue-'));
  const path = join(dir, 'rows.jsonl');
  const out = createWriteStream(path);
  // Lines are joined and written once per batch: a stream write per row cost more than its JSON.
  let pending: string[] = [];
  const writePending = (): boolean => {
    if (pending.length === 0) return true;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    return out.write(text);
  };
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve, reject) => {
      writePending();
      out.end((error?: Error | null) => (error ? reject(error) : resolve()));
    }));
  return {
    write(row) {
      const spooled: SpooledRow = { seq: row.seq, line: row.line, request: row.request, meta: row.meta };
      pending.push(JSON.stringify(spooled));
    },
    async drained() {
      if (!writePending()) await once(out, 'drain');
    },
    async *read(batchRows) {
      await close();
      let batch: SpooledRow[] = [];
      // Split by hand rather than with readline (an event per line): JSON.stringify escapes every
      // line break inside the values, so each \n ends a row.
      let rest = '';
      for await (const chunk of createReadStream(path, {
        encoding: 'utf8',
        highWaterMark: READ_CHUNK_BYTES,
      })) {
        const text = rest + (chunk as string);
        let start = 0;
        for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
          batch.push(JSON.parse(text.slice(start, end)) as SpooledRow);
          start = end + 1;
          if (batch.length >= batchRows) {
            yield batch;
            batch = [];
          }
        }
        rest = text.slice(start);
      }
      if (rest !== '') throw new Error('enqueue: the row spool ends in the middle of a row');
      if (batch.length > 0) yield batch;
    },
    async remove() {
      await close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
