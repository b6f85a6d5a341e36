import { setTimeout as delay } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { rowJobId } from '../queue/keys.js';
import { MINUTE } from '../time.js';

/**
 * How long enqueue waits for workers to let go of the jobs of rows it queues again. A worker
 * finishing a row lets go within moments; a killed one's lock lapses within its
 * `TTS_LOCK_DURATION_MS` (30 s by default), after which the job can be removed.
 */
export const FINISHING_JOB_WAIT_MS = 5 * MINUTE;
const RETRY_MS = 200;

export type FinishingJobs = {
  readonly redis: RedisClient;
  readonly queue: Queue;
  readonly run: string;
  readonly signal?: AbortSignal | undefined;
  /** Told once, with the ids, when a job is still held and enqueue waits for it. */
  readonly notice?: ((message: string) => void) | undefined;
  readonly waitMs?: number;
};

/** A row's job is still held by a worker after FINISHING_JOB_WAIT_MS. */
export class JobStillHeldError extends Error {
  constructor(readonly ids: readonly string[]) {
    super(
      `a worker still holds the job of ${ids.length === 1 ? 'row' : 'rows'} ${ids.join(', ')}; ` +
        'nothing of them was changed: enqueue the script again once the workers have let go',
    );
    this.name = 'JobStillHeldError';
  }
}

/**
 * Removes the jobs of rows that get a new job under the same id (completed for this content,
 * their audio gone), before anything of them is cleared. A worker may still hold such a job while
 * it finishes the row it made (the manifest line, the run's end): BullMQ does not remove a locked
 * job, and a job added under its id is dropped as a duplicate, so the row would be left with
 * neither a job nor an outcome. Waits until each is gone, then resolves; rejects with
 * JobStillHeldError after `waitMs`, with nothing of those rows changed.
 */
export async function removeFinishingJobs(
  options: FinishingJobs,
  rows: readonly { readonly id: string; readonly hash: string }[],
): Promise<void> {
  const { queue, redis, run } = options;
  const deadline = Date.now() + (options.waitMs ?? FINISHING_JOB_WAIT_MS);
  let left = rows.map((row) => ({ id: row.id, jobId: rowJobId(run, row.id, row.hash) }));
  let told = false;
  while (left.length > 0) {
    const removed = await Promise.all(left.map((row) => queue.remove(row.jobId).catch(() => 0)));
    const notRemoved = left.filter((_, at) => removed[at] !== 1);
    if (notRemoved.length === 0) return;
    const exists = await redis.pipeline(notRemoved.map((row) => ['exists', queue.toKey(row.jobId)])).exec();
    left = notRemoved.filter((_, at) => exists?.[at]?.[1] !== 0);
    if (left.length === 0) return;
    if (Date.now() >= deadline) throw new JobStillHeldError(left.map((row) => row.id));
    if (!told) {
      told = true;
      options.notice?.(
        `waiting for a worker to let go of ${left.length === 1 ? 'the job of row' : 'the jobs of rows'} ` +
          `${left.map((row) => row.id).join(', ')} before queuing ${left.length === 1 ? 'it' : 'them'} again`,
      );
    }
    await delay(RETRY_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
}
