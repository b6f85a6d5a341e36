import type { Job } from 'bullmq';
import pLimit from 'p-limit';
import { runKeys } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
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
 * Sends a run's failed rows back to the queue. Each row's failed outcome is deleted first, so
 * that the run is unfinished again and the worker that records its last row rewrites the
 * manifest. BullMQ's attempt counters are kept: the next attempt is counted in `attempts`.
 *
 * Rows are retried RETRY_CONCURRENCY at a time. That adds no race between them: a task writes
 * only its own job and its own row's outcomes field, and a row has at most one non-stale failed
 * job (the job id holds the content hash, and only the job whose hash is the row's current one
 * gets past the stale check; older versions' jobs only read), while `HINCRBY stats failed -1`
 * and `job.retry` (a Lua script) are atomic. Counts come from each task's result, not from a
 * shared counter. On the first error no further row starts; rows already started finish, then
 * the error is thrown (as the sequential loop stopped at the failing row).
 */
export async function retryFailedRows(session: QueueSession, run: string): Promise<RetryResult> {
  const { queue, redis, prefix } = session;
  const keys = runKeys(prefix, run);

  async function retryRow(id: string): Promise<RowRetry> {
    const job = (await queue.getJob(id)) as Job<RowJobData> | undefined;
    if (!job) return 'gone';
    const current = await redis.hget(keys.rows, job.data.id);
    if (current !== job.data.contentHash) return 'stale';
    const outcome = await redis.hget(keys.outcomes, job.data.id);
    if (outcome !== null) {
      const parsed = JSON.parse(outcome) as { status?: string; content_hash?: string };
      if (parsed.status !== 'completed' || parsed.content_hash !== job.data.contentHash) {
        // The stats count recorded outcomes; this one is about to go.
        await redis.multi().hdel(keys.outcomes, job.data.id).hincrby(keys.stats, 'failed', -1).exec();
      }
    }
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
