import { QueueKeys } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { ROWS_QUEUE, runKeys } from '../queue/keys.js';
import { countAdoptable } from './adopt-audio.js';
import { classifiedChunks, RECONCILE_CHUNK_ROWS } from './classify-rows.js';
import { isGoneRow } from './reconcile.js';
import type { ScriptScan } from './scan-script.js';

/** The script's rows against the run as it stands in Redis and on disk, as an enqueue would see them. */
export type RowComparison = {
  /** Not in the run before: a job each, billed. */
  readonly new: number;
  /** In the run with other content: a job each, billed. */
  readonly changed: number;
  /** Completed with the same content in Redis, the audio file there: nothing to do. */
  readonly done: number;
  /** Of `done`: Redis did not know them, their audio in the output directory would be adopted. */
  readonly adopted: number;
  /** Same content, its job already in the queue: not added again (billed when it runs, if not yet). */
  readonly queued: number;
  /** Same content, but no job and no audio (lost or deleted): queued and billed again. */
  readonly again: number;
  /** Rows of the run no longer in the script (or invalid there): dropped. */
  readonly removed: number;
  /** 1 at seq when enqueueing would add a job for the row (billed). */
  readonly billed: Uint8Array;
};

export type CompareState = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly run: string;
  /** Absolute output directory of the run. */
  readonly outDir: string;
  readonly signal?: AbortSignal | undefined;
};

/**
 * Compares a script with its run read-only: the decisions of reconcileRun (classifyRows) and of
 * adoptAudioOnDisk, without writing to Redis, taking the enqueue lock or adding a job.
 */
export async function compareWithRun(state: CompareState, scan: ScriptScan): Promise<RowComparison> {
  const { redis, run } = state;
  const keys = runKeys(state.prefix, run);
  const queueKeys = new QueueKeys(state.prefix);
  const queue = { toKey: (type: string) => queueKeys.toKey(ROWS_QUEUE, type) };
  const billed = new Uint8Array(scan.records);
  /** 1 at seq for a row first seen, 2 changed, 3 done or queued again. */
  const kindAt = new Uint8Array(scan.records);
  const counts = { done: 0, queued: 0, removed: 0 };
  const fresh = (await redis.hlen(keys.rows)) === 0;

  for await (const { rows, kinds, previous } of classifiedChunks({ ...state, queue }, scan, fresh)) {
    rows.forEach((row, at) => {
      const kind = kinds[at];
      if (kind === 'skipped') counts.done += 1;
      else if (kind === 'unchanged') counts.queued += 1;
      else {
        billed[row.seq] = 1;
        kindAt[row.seq] = kind !== 'changed' ? 3 : (previous[at] ?? null) === null ? 1 : 2;
      }
    });
  }
  // What the enqueue would adopt from the output directory is made by no one: not billed.
  const stillBilled = billed.slice();
  const adopted = await countAdoptable(state, scan, stillBilled);
  const tally = { 1: 0, 2: 0, 3: 0 };
  stillBilled.forEach((flag, seq) => {
    const kind = kindAt[seq];
    if (flag === 1 && (kind === 1 || kind === 2 || kind === 3)) tally[kind] += 1;
  });

  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(keys.rows, cursor, 'COUNT', RECONCILE_CHUNK_ROWS);
    cursor = next;
    for (let at = 0; at < flat.length; at += 2) if (isGoneRow(scan, flat[at] ?? '')) counts.removed += 1;
  } while (cursor !== '0');

  return {
    new: tally[1],
    changed: tally[2],
    again: tally[3],
    done: counts.done + adopted,
    adopted,
    queued: counts.queued,
    removed: counts.removed,
    billed: stillBilled,
  };
}
