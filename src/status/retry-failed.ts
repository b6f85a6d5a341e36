import type { Job } from 'bullmq';
import pLimit from 'p-limit';
import { runKeys } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
import { makeProgressStore, prepareRetry } from '../queue/row-progress.js';
import { rowParts } from '../queue/row-parts.js';
import { readRowOutcomes } from '../queue/run-outcomes.js';
import type { QueueSession } from '../queue/queue-session.js';
import { failedJobIds } from './run-jobs.js';

// ~8 rows/ms at 1 ms RTT (32 rows in flight, ~4 round trips each): 10,000 rows in ~1.3 s, light for Redis.
export const RETRY_CONCURRENCY = 32;

export type RetryResult = {
  readonly run: string;
  /** Rows sent back to the queue. */
  readonly retried: number;
  /** Failed jobs of an older version of a row (the script was edited and re-enqueued since): left alone. */
  readonly stale: number;
};

type RowRetry = 'retried' | 'stale' | 'gone';

/**
 * Sends a run's failed rows back to the queue for a new attempt. Each row's failed outcome is
 * deleted first, so that the run is unfinished again and the worker that records its last row
 * rewrites the manifest. A row whose inference failed, or that gave up, submits anew (a new,
 * counted submit; its earlier submits stay counted); one that failed with its request alive
 * (the download, the disk) resumes that request. The submission limits count from the retry on.
 *
 * Rows are retried RETRY_CONCURRENCY at a time: a task writes only its own row's fields and
 * job. On the first error no further row starts; rows already started finish, then the error is
 * thrown.
 */
export async function retryFailedRows(session: QueueSession, run: string): Promise<RetryResult> {
  const { queue, redis, prefix } = session;
  const keys = runKeys(prefix, run);
  const store = makeProgressStore(redis, prefix, run);

  async function retryRow(jobId: string): Promise<RowRetry> {
    const job = (await queue.getJob(jobId)) as Job<RowJobData> | undefined;
    if (!job) return 'gone';
    const { id, contentHash } = job.data;
    if ((await redis.hget(keys.rows, id)) !== contentHash) return 'stale';
    const [outcome] = await readRowOutcomes(redis, prefix, run, [id]);
    if (outcome?.status === 'completed' && outcome.contentHash === contentHash) return 'stale';
    const kind = outcome?.retry ?? 'resubmit';
    const parts = rowParts(job.data);
    if (parts === undefined) await prepareRetry(store, id, contentHash, outcome?.submits ?? 0, kind);
    // A row sent in parts: its parts keep their own counts; the ones not saved try again.
    else for (const part of parts) await prepareRetry(store, part.key, part.contentHash, 0, kind, 'unsaved');
    if (outcome) await redis.multi().hdel(keys.outcomes, id).hincrby(keys.stats, 'failed', -1).exec();
    await job.retry('failed');
    return 'retried';
  }

  const limit = pLimit(RETRY_CONCURRENCY);
  let failure: { readonly error: unknown } | undefined;
  const results = await limit.map(
    await failedJobIds(queue, run),
    async (id): Promise<RowRetry | 'skipped'> => {
      if (failure) return 'skipped';
      try {
        return await retryRow(id);
      } catch (error) {
        failure ??= { error };
        return 'skipped';
      }
    },
  );
  if (failure) throw failure.error;
  let retried = 0;
  let stale = 0;
  for (const result of results) {
    if (result === 'retried') retried += 1;
    else if (result === 'stale') stale += 1;
  }
  return { run, retried, stale };
}
