import type { Queue } from 'bullmq';
import { makeBudgetStore, type RunBudget } from '../queue/run-budget.js';
import { readReviewRows, type ReviewRows } from '../queue/run-review.js';

/** Rows shown by name in status's needs-review line. */
const REVIEW_SHOWN = 5;
import { describeWindow, makeWindowStore, windowState } from '../queue/run-window.js';
import type { RedisClient } from '../redis/connection.js';
import { readRunChapters, type RunChapters } from '../assembly/chapter-progress.js';
import { makePlanCache } from '../assembly/plan-store.js';
import { readEnqueueState, rowsWithoutJob, type EnqueueState } from '../enqueue/enqueue-state.js';
import { globalKeys, runKeys } from '../queue/keys.js';
import { decodeRunMeta } from '../queue/run-meta.js';
import { countJobsByRun, emptyJobCounts, failureReasons, type RunJobCounts } from './run-jobs.js';

/** One run's progress as `status` shows it (and `--json` prints it). */
export type RunProgress = {
  readonly run: string;
  readonly outDir: string;
  /** Rows of the run (its rows hash). */
  readonly rows: number;
  readonly done: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Waiting for a worker, including rows held back by a retry backoff. */
  readonly waiting: number;
  /** Held until `scheduledAt` (`enqueue --at`). */
  readonly scheduled: number;
  readonly scheduledAt: string | null;
  readonly audioMinutes: number;
  readonly calls: number;
  readonly costUsd: number;
  /**
   * Rows completed per minute since the run was (last) enqueued or its scheduled start; failed
   * rows are not progress (they are counted in `failed`).
   */
  readonly rowsPerMinute: number;
  /** Seconds until every row is finished at that rate; null when unknown (no row completed yet) or finished. */
  readonly etaS: number | null;
  readonly finished: boolean;
  readonly failures: readonly { readonly reason: string; readonly rows: number }[];
  /** Whether the run's last enqueue queued every row, is doing so now, or stopped part-way. */
  readonly enqueue: EnqueueState;
  /** Rows with neither an outcome nor a job while the enqueue is not complete (0 once it is). */
  readonly withoutJob: number;
  /** The script last enqueued into the run (to run the same enqueue again). */
  readonly script: string;
  /** A run with chapters (a book, or `--chapters`): each chapter's rows and assembly. */
  readonly chapters?: RunChapters;
  /** A run with a budget (`--budget`): its limit, what its submits reserved, and whether it holds rows. */
  readonly budget?: RunBudget;
  /** A run with a daily window (`--window`): its line as status prints it, and whether it is open. */
  readonly window?: { readonly text: string; readonly open: boolean; readonly line: string };
  /** Rows kept with a take that failed its checks (`needs_review`): how many, and a few with why. */
  readonly review?: ReviewRows;
};

/** The queue as a whole: paused, and why when the API refused the account. */
export type QueueState = {
  readonly paused: boolean;
  readonly halt: { readonly reason: string; readonly at: string } | null;
  /** The account's last known remaining credits (USD) and when the API reported them. */
  readonly credits?: { readonly usd: number; readonly at: string } | undefined;
};

export type ProgressInput = {
  readonly run: string;
  readonly meta: Record<string, string>;
  readonly stats: Record<string, string>;
  readonly rows: number;
  readonly jobs: RunJobCounts;
  readonly failures: RunProgress['failures'];
  readonly nowMs: number;
  /** Default: complete. */
  readonly enqueue?: EnqueueState;
};

const MINUTE_MS = 60_000;

/** Pure: the figures of a run from what Redis holds. */
export function computeProgress(input: ProgressInput): RunProgress {
  const meta = decodeRunMeta(input.meta);
  const stat = (field: string) => Number(input.stats[field] ?? 0) || 0;
  const rows = input.rows || meta?.rows || 0;
  const scheduledAtMs = meta?.scheduledAt ?? 0;
  const held = scheduledAtMs > input.nowMs;
  const { jobs } = input;
  // Failed jobs are the record of failure (retry takes them back); outcome counters may lag.
  const failed = Math.max(jobs.failed, 0);
  const done = Math.min(stat('completed'), Math.max(rows - failed, 0));
  const finishedRows = done + failed;
  const startMs = Math.max(meta?.updatedAt ?? 0, meta?.createdAt ?? 0, scheduledAtMs);
  const elapsedMin = (input.nowMs - startMs) / MINUTE_MS;
  const rowsPerMinute = startMs > 0 && elapsedMin > 0 && !held ? done / elapsedMin : 0;
  const remaining = Math.max(rows - finishedRows, 0);
  const finished = rows > 0 && remaining === 0;
  const enqueue = input.enqueue ?? { kind: 'complete' };
  const inFlight = jobs.active;
  const waiting = jobs.wait + jobs.prioritized + (held ? 0 : jobs.delayed);
  const scheduled = held ? jobs.delayed : 0;
  const counts = { rows, done, failed, inFlight, waiting, scheduled };
  return {
    run: input.run,
    outDir: meta?.outDir ?? '',
    rows,
    done,
    failed,
    inFlight,
    waiting,
    scheduled,
    scheduledAt: scheduledAtMs > 0 ? new Date(scheduledAtMs).toISOString() : null,
    audioMinutes: stat('audio_ms') / MINUTE_MS,
    calls: stat('calls'),
    costUsd: stat('cost_usd'),
    rowsPerMinute,
    etaS: finished || rowsPerMinute <= 0 ? null : Math.round((remaining / rowsPerMinute) * 60),
    finished,
    failures: input.failures,
    enqueue,
    withoutJob: enqueue.kind === 'complete' ? 0 : rowsWithoutJob(counts),
    script: meta?.script ?? '',
  };
}

export async function readQueueState(queue: Queue, redis: RedisClient, prefix: string): Promise<QueueState> {
  const [paused, halt, credits] = await Promise.all([
    queue.isPaused(),
    redis.hgetall(globalKeys(prefix).halt),
    redis.hgetall(globalKeys(prefix).credits),
  ]);
  const creditsUsd = credits['usd'] === undefined ? Number.NaN : Number(credits['usd']);
  return {
    paused,
    halt: halt['reason'] ? { reason: halt['reason'], at: halt['at'] ?? '' } : null,
    credits: Number.isFinite(creditsUsd) ? { usd: creditsUsd, at: credits['at'] ?? '' } : undefined,
  };
}

/** Every run known to the prefix, oldest first. */
export async function listRuns(redis: RedisClient, prefix: string): Promise<string[]> {
  return redis.zrange(globalKeys(prefix).runs, '0', '-1');
}

export type ReadProgressOptions = {
  readonly queue: Queue;
  readonly redis: RedisClient;
  readonly prefix: string;
  /** Only these runs (default: every run). */
  readonly runs?: readonly string[];
  /** Group failures by reason (one Redis read per failed row). */
  readonly withFailures?: boolean;
  readonly nowMs?: number;
};

/** Progress of each run; a run that does not exist is left out. */
export async function readProgress(options: ReadProgressOptions): Promise<RunProgress[]> {
  const { queue, redis, prefix } = options;
  const runs = options.runs ?? (await listRuns(redis, prefix));
  const jobsByRun = await countJobsByRun({ queue, redis, prefix });
  const results: RunProgress[] = [];
  const readPlan = makePlanCache();
  for (const run of runs) {
    const keys = runKeys(prefix, run);
    const [meta, stats, rows, enqueue] = await Promise.all([
      redis.hgetall(keys.meta),
      redis.hgetall(keys.stats),
      redis.hlen(keys.rows),
      readEnqueueState(redis, prefix, run),
    ]);
    if (!meta['name'] && rows === 0) continue;
    const jobs = jobsByRun.get(run) ?? emptyJobCounts();
    const failures = options.withFailures && jobs.failed > 0 ? await failureReasons(queue, redis, run) : [];
    const [chapters, budget, window, review] = await Promise.all([
      readRunChapters({ redis, prefix, readPlan }, run),
      makeBudgetStore(redis, prefix).read(run),
      makeWindowStore(redis, prefix).read(run),
      readReviewRows(redis, prefix, run, REVIEW_SHOWN),
    ]);
    const nowMs = options.nowMs ?? Date.now();
    const progress = computeProgress({
      run,
      meta,
      stats,
      rows,
      jobs,
      failures,
      enqueue,
      nowMs: options.nowMs ?? Date.now(),
    });
    results.push({
      ...progress,
      ...(chapters === undefined ? {} : { chapters }),
      ...(budget.limitUsd === undefined ? {} : { budget }),
      ...(review.count === 0 ? {} : { review }),
      ...(window === undefined
        ? {}
        : {
            window: {
              text: window.text,
              open: windowState(window, nowMs).open,
              line: describeWindow(window, nowMs),
            },
          }),
    });
  }
  return results;
}
