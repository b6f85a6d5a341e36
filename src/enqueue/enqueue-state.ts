import type { RedisClient } from '../redis/connection.js';
import { runKeys } from '../queue/keys.js';

/**
 * Field of the run's meta hash set while an enqueue writes the run (ms since epoch of its start)
 * and removed when every row has its job: one left behind names an enqueue that stopped part-way.
 */
export const ENQUEUING_FIELD = 'enqueuing';

/** Whether the run's last enqueue finished queuing its rows. */
export type EnqueueState =
  | { readonly kind: 'complete' }
  /** An enqueue holds the run's lock and is adding rows now. */
  | { readonly kind: 'under-way'; readonly sinceMs: number }
  /** The last enqueue stopped part-way (out of memory, Ctrl-C, a crash): rows may lack a job. */
  | { readonly kind: 'interrupted'; readonly sinceMs: number };

/** For `status` and the dashboard: whether some of the run's rows may have no job yet, and why. */
export async function readEnqueueState(
  redis: RedisClient,
  prefix: string,
  run: string,
): Promise<EnqueueState> {
  const keys = runKeys(prefix, run);
  const [since, locked] = await Promise.all([
    redis.hget(keys.meta, ENQUEUING_FIELD),
    redis.exists(keys.enqueueLock),
  ]);
  if (since === null) return { kind: 'complete' };
  return { kind: locked === 1 ? 'under-way' : 'interrupted', sinceMs: Number(since) };
}

/** The counts a run's progress has (see status/run-progress.ts). */
export type RowStateCounts = {
  readonly rows: number;
  readonly done: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly waiting: number;
  readonly scheduled: number;
};

/**
 * Rows of the run with neither an outcome nor a job: what an interrupted enqueue left to queue
 * (running the same enqueue again queues them). 0 for a run whose enqueue completed.
 */
export function rowsWithoutJob(counts: RowStateCounts): number {
  const accounted = counts.done + counts.failed + counts.inFlight + counts.waiting + counts.scheduled;
  return Math.max(0, counts.rows - accounted);
}
