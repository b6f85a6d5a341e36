import type { Queue } from 'bullmq';
import { saveChapterPlan, scheduleAfterEnqueue, type EnqueueChapters } from '../assembly/enqueue-chapters.js';
import type { RedisClient } from '../redis/connection.js';
import { claimRunDir, type RunMark } from '../output/run-mark.js';
import { globalKeys, runKeys } from '../queue/keys.js';
import { decodeRunMeta, encodeRunMeta, type RowDefaults, type RunMeta } from '../queue/run-meta.js';
import { writeRunManifests, type RunManifests } from '../report/run-manifests.js';
import { AddJobsStoppedError, addRowJobs } from './add-jobs.js';
import { adoptAudioOnDisk } from './adopt-audio.js';
import { EnqueueIncompleteError, type EnqueuePhase } from './enqueue-incomplete.js';
import { ENQUEUING_FIELD } from './enqueue-state.js';
import { acquireEnqueueLock, type EnqueueLockOptions } from './enqueue-lock.js';
import type { RowSpool } from './row-spool.js';
import type { Progress } from './progress.js';
import { reconcileRun, type RowCounts } from './reconcile.js';
import { rescheduleRunJobs } from './reschedule.js';
import { applyBudget, type BudgetPlan } from './run-budget-limit.js';
import { makeWindowStore, type RunWindow } from '../queue/run-window.js';
import type { ScriptScan } from './scan-script.js';

export type EnqueuePlan = {
  readonly run: string;
  /** Absolute output directory of the run: `<out>/<run>`. */
  readonly outDir: string;
  readonly defaults: RowDefaults;
  /** ms since epoch; 0 = start at once. */
  readonly scheduledAt: number;
  /** The run's id from the mark of its output directory (see claimRunOutput). */
  readonly runId: string;
  /** `TTS_CHUNK_CHARS`: rows longer than this are sent in parts. */
  readonly chunkChars: number;
  /** `--budget` and `TTS_BUDGET_USD` (default: the run's budget is left as it is). */
  readonly budget?: BudgetPlan;
  /** `--window`: the run's daily window (null: removed; default: left as it is). */
  readonly window?: RunWindow | null;
  /** `--chapters` and the assembly's pauses (default: no `--chapters`, the default pauses; books always get chapters). */
  readonly chapters?: EnqueueChapters;
};

export type EnqueueDeps = {
  readonly redis: RedisClient;
  readonly queue: Queue;
  readonly prefix: string;
  readonly nowMs: () => number;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /** Pass 1's validated rows, from which pass 2 adds the jobs. */
  readonly spool: RowSpool;
  /** How long to wait for another enqueue of the run, and the lock's TTL (defaults: 30 s each). */
  readonly lock?: EnqueueLockOptions;
  /** A line for the person enqueueing, printed as it happens (e.g. waiting for a worker). */
  readonly notice?: (message: string) => void;
};

export type EnqueueResult = RowCounts & {
  readonly added: number;
  /** Jobs already queued that were moved to this enqueue's schedule (`--at` changed). */
  readonly rescheduled: number;
  /** Written when this enqueue finished the run (rows adopted or removed, none left to make). */
  readonly manifests: RunManifests | undefined;
};

/**
 * Claims the run's output directory (`.tts-run.json`, see output/run-mark.ts) before anything is
 * written to Redis: a directory of another run is refused (RunDirInUseError) with Redis untouched.
 * A new mark takes the run id Redis already knows for the run, if any.
 */
export async function claimRunOutput(
  redis: RedisClient,
  prefix: string,
  run: string,
  outDir: string,
  now: Date,
): Promise<RunMark> {
  const known = await redis.hget(runKeys(prefix, run).meta, 'runId');
  return claimRunDir(outDir, { prefix, run }, { runId: known ?? undefined, now });
}

/**
 * Turns a validated script into the run's state and jobs, one enqueue of a run at a time (a lock
 * in Redis; see enqueue-lock.ts): the run's metadata, every row's content hash (so the run cannot
 * look finished early), rows whose audio is already on disk adopted, then the jobs, in chunks.
 */
export async function enqueueScan(
  scan: ScriptScan,
  plan: EnqueuePlan,
  deps: EnqueueDeps,
): Promise<EnqueueResult> {
  const lock = await acquireEnqueueLock(deps.redis, deps.prefix, plan.run, {
    ...deps.lock,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const signal = deps.signal ? AbortSignal.any([deps.signal, lock.lost]) : lock.lost;
  try {
    return await enqueueLocked(scan, plan, { ...deps, signal });
  } finally {
    await lock.release().catch(() => {});
  }
}

async function enqueueLocked(
  scan: ScriptScan,
  plan: EnqueuePlan,
  deps: EnqueueDeps & { readonly signal: AbortSignal },
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
    runId: plan.runId,
  };
  await redis
    .multi()
    .hset(keys.meta, { ...encodeRunMeta(meta), [ENQUEUING_FIELD]: String(nowMs) })
    .zadd(globalKeys(prefix).runs, createdAt, run)
    .exec();
  // Before any job is added: no row of the run is submitted past a new budget.
  await applyBudget(redis, prefix, run, plan.budget ?? {});
  await makeWindowStore(redis, prefix).set(run, plan.window);

  // From here the run is in Redis: a stop part-way (out of memory, Ctrl-C) says what was queued.
  const stop = {
    run,
    phase: 'rows' as EnqueuePhase,
    jobsNeeded: undefined as number | undefined,
    jobsAdded: 0,
    jobsAddedExact: true,
  };
  try {
    const chapterPlan = await saveChapterPlan(
      { redis, prefix, run, outDir: plan.outDir, scan, spool: deps.spool },
      plan.chapters,
    );
    deps.progress.start('checking', scan.validRows, 'rows');
    const state = {
      redis,
      queue: deps.queue,
      prefix,
      run,
      outDir: plan.outDir,
      signal: deps.signal,
      notice: deps.notice,
    };
    const reconciled = await reconcileRun(state, scan, (checked) => deps.progress.update(checked));
    const { needsJob } = reconciled;
    deps.signal.throwIfAborted();
    stop.phase = 'adopt';
    const { adopted } = await adoptAudioOnDisk({ ...state, nowMs: deps.nowMs }, scan, needsJob);
    const counts = { ...reconciled.counts, new: reconciled.counts.new - adopted, adopted };

    stop.phase = 'jobs';
    stop.jobsNeeded = counts.new;
    // A new --at (or none after one) applies to the jobs already queued too, before new ones come.
    const rescheduled =
      counts.unchanged > 0 && previousSchedule !== plan.scheduledAt
        ? await rescheduleRunJobs(deps.queue, run, plan.scheduledAt, deps.nowMs)
        : 0;

    deps.progress.start('adding', counts.new, 'jobs');
    const added = await addRowJobs(
      {
        queue: deps.queue,
        redis,
        run,
        outDir: plan.outDir,
        scheduledAt: plan.scheduledAt,
        chunkChars: plan.chunkChars,
        nowMs: deps.nowMs,
        signal: deps.signal,
      },
      scan,
      needsJob,
      deps.spool,
      (jobs) => {
        stop.jobsAdded = jobs;
        deps.progress.update(jobs);
      },
    );
    deps.progress.stop();
    await redis.hdel(keys.meta, ENQUEUING_FIELD);
    stop.phase = 'manifests';
    // No worker will finish a run that this enqueue finished (rows adopted or removed, none added).
    const finishedHere =
      added === 0 && counts.adopted + counts.removed > 0 && (await isFinished(redis, keys));
    const manifests = finishedHere
      ? await writeRunManifests({ redis, prefix, run, outDir: plan.outDir })
      : undefined;
    // Chapters (and the book) whose rows are all done; without chapters, the clip masters of a finished run.
    if (chapterPlan !== undefined || plan.chapters?.master !== undefined) {
      await scheduleAfterEnqueue(redis, prefix, run);
    }
    return { ...counts, added, rescheduled, manifests };
  } catch (error) {
    deps.progress.stop();
    if (error instanceof AddJobsStoppedError) {
      stop.jobsAdded = error.added;
      stop.jobsAddedExact = error.exact;
    }
    const cause = error instanceof AddJobsStoppedError ? error.cause : error;
    throw new EnqueueIncompleteError({ ...stop }, { cause });
  }
}

async function isFinished(redis: RedisClient, keys: ReturnType<typeof runKeys>): Promise<boolean> {
  const [outcomes, rows] = await Promise.all([redis.hlen(keys.outcomes), redis.hlen(keys.rows)]);
  return rows > 0 && outcomes >= rows;
}
