import type { Job } from 'bullmq';
import { runKeys } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
import type { QueueSession } from '../queue/queue-session.js';
import { failedJobIds } from './run-jobs.js';

export type RetryResult = {
  readonly run: string;
  /** Rows sent back to the queue. */
  readonly retried: number;
  /** Failed jobs of an older version of a row (the script was edited and re-enqueued since): left alone. */
  readonly stale: number;
};

/**
 * Sends a run's failed rows back to the queue. Each row's failed outcome is deleted first, so
 * that the run is unfinished again and the worker that records its last row rewrites the
 * manifest. BullMQ's attempt counters are kept: the next attempt is counted in `attempts`.
 */
export async function retryFailedRows(session: QueueSession, run: string): Promise<RetryResult> {
  const { queue, redis, prefix } = session;
  const keys = runKeys(prefix, run);
  let retried = 0;
  let stale = 0;
  for (const id of await failedJobIds(queue, run)) {
    const job = (await queue.getJob(id)) as Job<RowJobData> | undefined;
    if (!job) continue;
    const current = await redis.hget(keys.rows, job.data.id);
    if (current !== job.data.contentHash) {
      stale += 1;
      continue;
    }
    const outcome = await redis.hget(keys.outcomes, job.data.id);
    if (outcome !== null) {
      const parsed = JSON.parse(outcome) as { status?: string; content_hash?: string };
      if (parsed.status !== 'completed' || parsed.content_hash !== job.data.contentHash) {
        // The stats count recorded outcomes; this one is about to go.
        await redis.multi().hdel(keys.outcomes, job.data.id).hincrby(keys.stats, 'failed', -1).exec();
      }
    }
    await job.retry('failed');
    retried += 1;
  }
  return { run, retried, stale };
}
