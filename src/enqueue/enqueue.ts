import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { globalKeys, runKeys } from '../queue/keys.js';
import { decodeRunMeta, encodeRunMeta, type RowDefaults, type RunMeta } from '../queue/run-meta.js';
import { addRowJobs } from './add-jobs.js';
import type { RowSpool } from './row-spool.js';
import type { Progress } from './progress.js';
import { reconcileRun, type RowCounts } from './reconcile.js';
import { rescheduleRunJobs } from './reschedule.js';
import type { ScriptScan } from './scan-script.js';

export type EnqueuePlan = {
  readonly run: string;
  /** Absolute output directory of the run: `<out>/<run>`. */
  readonly outDir: string;
  readonly defaults: RowDefaults;
  /** ms since epoch; 0 = start at once. */
  readonly scheduledAt: number;
};

export type EnqueueDeps = {
  readonly redis: Redis;
  readonly queue: Queue;
  readonly prefix: string;
  readonly nowMs: () => number;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /** Pass 1's validated rows, from which pass 2 adds the jobs. */
  readonly spool: RowSpool;
};

export type EnqueueResult = RowCounts & {
  readonly added: number;
  /** Jobs already queued that were moved to this enqueue's schedule (`--at` changed). */
  readonly rescheduled: number;
};

/**
 * Turns a validated script into the run's state and jobs: the run's metadata, then every row's
 * content hash (so the run cannot look finished early), then the jobs, in chunks.
 */
export async function enqueueScan(
  scan: ScriptScan,
  plan: EnqueuePlan,
  deps: EnqueueDeps,
): Promise<EnqueueResult> {
  const { redis, prefix } = deps;
  const { run } = plan;
  const keys = runKeys(prefix, run);
  const nowMs = deps.nowMs();
  const previous = decodeRunMeta(await redis.hgetall(keys.meta));
  const createdAt = previous?.createdAt || nowMs;
  const previousSchedule = previous?.scheduledAt || 0;
  const meta: RunMeta = {
    name: run,
    outDir: plan.outDir,
    script: scan.file,
    rows: scan.validRows,
    createdAt,
    updatedAt: nowMs,
    scheduledAt: plan.scheduledAt,
    options: JSON.stringify(plan.defaults),
  };
  await redis
    .multi()
    .hset(keys.meta, encodeRunMeta(meta))
    .zadd(globalKeys(prefix).runs, createdAt, run)
    .exec();

  deps.progress.start('checking', scan.validRows, 'rows');
  const { counts, needsJob } = await reconcileRun(
    { redis, queue: deps.queue, prefix, run, outDir: plan.outDir },
    scan,
    (checked) => deps.progress.update(checked),
  );
  deps.signal?.throwIfAborted();

  // A new --at (or none after one) applies to the jobs already queued too, before new ones come.
  const rescheduled =
    counts.unchanged > 0 && previousSchedule !== plan.scheduledAt
      ? await rescheduleRunJobs(deps.queue, run, plan.scheduledAt, deps.nowMs)
      : 0;

  deps.progress.start('adding', counts.new, 'jobs');
  const added = await addRowJobs(
    {
      queue: deps.queue,
      run,
      outDir: plan.outDir,
      scheduledAt: plan.scheduledAt,
      nowMs: deps.nowMs,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
    scan,
    needsJob,
    deps.spool,
    (jobs) => deps.progress.update(jobs),
  );
  deps.progress.stop();
  return { ...counts, added, rescheduled };
}
