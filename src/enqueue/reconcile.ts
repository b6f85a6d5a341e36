import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { rowJobId, runKeys } from '../queue/keys.js';
import { makeProgressStore, prepareRetry } from '../queue/row-progress.js';
import { dropOverrides } from '../queue/row-overrides.js';
import { classifiedChunks, RECONCILE_CHUNK_ROWS, type ScriptRowRef } from './classify-rows.js';
import { removeFinishingJobs } from './remove-finishing-jobs.js';
import type { ScriptScan } from './scan-script.js';

/** A first enqueue only writes: this many chunks of the `rows` hash are in flight at once. */
const FRESH_WRITES_IN_FLIGHT = 4;

export type RowCounts = {
  /** Rows that get a job now: changed, first seen, or whose job and audio are gone. */
  readonly new: number;
  /** Rows whose job for the same content is already in the queue. */
  readonly unchanged: number;
  /** Rows whose identical audio is already complete in the output directory. */
  readonly skipped: number;
  /**
   * Rows Redis had no outcome for whose audio was found complete in the output directory (its
   * manifest.jsonl line and the file, checked) and recorded instead of made again.
   */
  readonly adopted: number;
  /** Rows of an earlier enqueue that are no longer in the script. */
  readonly removed: number;
};

export type Reconciled = {
  readonly counts: RowCounts;
  /** 1 at seq when the row needs a job. */
  readonly needsJob: Uint8Array;
};

export type RunState = {
  readonly redis: RedisClient;
  readonly queue: Queue;
  readonly prefix: string;
  readonly run: string;
  /** Absolute output directory of the run. */
  readonly outDir: string;
  readonly signal?: AbortSignal | undefined;
  /** A line for the person enqueueing (enqueue waits for a worker to let go of a job). */
  readonly notice?: ((message: string) => void) | undefined;
};

/** Removes a job unless a worker holds it (an active job finishes; its outcome no longer counts). */
async function removeJob(queue: Queue, jobId: string): Promise<void> {
  await queue.remove(jobId).catch(() => 0);
}

/**
 * Brings the run's `rows` and `outcomes` hashes in line with the script, before any job is added,
 * so that the run is never seen finished with rows still to come: every row id gets its content
 * hash, a changed row loses its old outcome and old job, rows gone from the script are dropped.
 */
export async function reconcileRun(
  state: RunState,
  scan: ScriptScan,
  onProgress: (rowsChecked: number) => void = () => {},
): Promise<Reconciled> {
  const { redis, queue, run } = state;
  const keys = runKeys(state.prefix, run);
  const needsJob = new Uint8Array(scan.records);
  const counts = { new: 0, unchanged: 0, skipped: 0, adopted: 0, removed: 0 };
  let checked = 0;
  // A run never enqueued before (or whose Redis state is gone) has no row to compare with: every
  // row is new, and the three lookups per row of classifyRows (a third of a fresh 200,000-row enqueue's round trips) can be skipped.
  const fresh = (await redis.hlen(keys.rows)) === 0;
  const writes: Promise<unknown>[] = [];

  for await (const { rows, kinds, previous, submits } of classifiedChunks(state, scan, fresh)) {
    const changed: { id: string; hash: string }[] = [];
    const cleared: string[] = [];
    const staleJobs: string[] = [];
    /** Rows whose new job has the id of their old one: it must be gone before the new one is added. */
    const sameId: ScriptRowRef[] = [];
    /** Rows made before whose audio is gone: made again, their earlier submits still counted. */
    const remade: { id: string; hash: string; submits: number }[] = [];
    rows.forEach((row, at) => {
      const kind = kinds[at];
      if (kind === 'skipped') counts.skipped += 1;
      else if (kind === 'unchanged') counts.unchanged += 1;
      else {
        needsJob[row.seq] = 1;
        counts.new += 1;
        cleared.push(row.id);
        const old = previous[at] ?? null;
        if (kind === 'changed') changed.push(row);
        if (kind === 'changed' && old !== null) staleJobs.push(rowJobId(run, row.id, old));
        if (kind === 'requeued-stale-job') sameId.push(row);
        const paid = submits[at] ?? 0;
        if (kind !== 'changed' && paid > 0) remade.push({ ...row, submits: paid });
      }
    });
    // Before their outcomes are cleared: a row whose old job cannot be removed stays as it was.
    if (sameId.length > 0) await removeFinishingJobs(state, sameId);
    // The outcome that counted a remade row's submits goes: its progress counts them from here.
    await carrySubmits(state, remade);

    const transaction = redis.multi();
    if (changed.length > 0) transaction.hset(keys.rows, ...changed.flatMap((row) => [row.id, row.hash]));
    if (cleared.length > 0) transaction.hdel(keys.outcomes, ...cleared);
    // A person's override holds for the version it was asked for: an edited row is the script's again.
    const edited = changed.map((row) => row.id);
    dropOverrides(transaction, state.prefix, run, edited);
    if (fresh) {
      // Nothing to compare, nothing stale: only the writes, a few in flight. All of them are
      // awaited below, before any job is added.
      const written = transaction.exec();
      written.catch(() => {});
      writes.push(written);
      if (writes.length >= FRESH_WRITES_IN_FLIGHT) await writes.shift();
    } else {
      await transaction.exec();
      await Promise.all(staleJobs.map((jobId) => removeJob(queue, jobId)));
    }
    checked += rows.length;
    onProgress(checked);
  }
  while (writes.length > 0) await writes.shift();

  counts.removed = await removeGoneRows(state, scan);
  return { counts, needsJob };
}

/**
 * A row made before whose audio is gone is made again for the same text: its new submits add to
 * the ones its completed outcome recorded, so that its manifest entry counts every time the API
 * billed that text (a row sent in parts keeps its counts in its parts' progress).
 */
async function carrySubmits(
  state: RunState,
  rows: readonly { readonly id: string; readonly hash: string; readonly submits: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  const store = makeProgressStore(state.redis, state.prefix, state.run);
  await Promise.all(rows.map((row) => prepareRetry(store, row.id, row.hash, row.submits, 'resubmit')));
}

/** A row of an earlier enqueue that this script no longer has (or has as an invalid row). */
export function isGoneRow(scan: ScriptScan, id: string): boolean {
  const seq = scan.ids.get(id);
  return seq === undefined || !scan.index.isValid(seq);
}

/** Drops rows of earlier enqueues that this script no longer has (or has as an invalid row). */
async function removeGoneRows(state: RunState, scan: ScriptScan): Promise<number> {
  const keys = runKeys(state.prefix, state.run);
  let removed = 0;
  let cursor = '0';
  do {
    const [next, flat] = await state.redis.hscan(keys.rows, cursor, 'COUNT', RECONCILE_CHUNK_ROWS);
    cursor = next;
    const gone: { id: string; hash: string }[] = [];
    for (let at = 0; at + 1 < flat.length; at += 2) {
      const id = flat[at] ?? '';
      if (isGoneRow(scan, id)) gone.push({ id, hash: flat[at + 1] ?? '' });
    }
    if (gone.length === 0) continue;
    const ids = gone.map((row) => row.id);
    const transaction = state.redis
      .multi()
      .hdel(keys.rows, ...ids)
      .hdel(keys.outcomes, ...ids);
    await dropOverrides(transaction, state.prefix, state.run, ids).exec();
    await Promise.all(gone.map((row) => removeJob(state.queue, rowJobId(state.run, row.id, row.hash))));
    removed += gone.length;
  } while (cursor !== '0');
  return removed;
}
