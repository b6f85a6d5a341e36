import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { runKeys } from '../queue/keys.js';
import { ASSEMBLY_JOB_OPTIONS, bookJobId, chapterJobId, type AssemblyJobData } from './assembly-jobs.js';
import { readChapterMarker } from './assembly-state.js';
import { chapterReadiness } from './chapter-readiness.js';
import type { ChapterPlan, PlanChapter } from './chapter-plan.js';
import { PLAN_META_FIELD } from './plan-store.js';
import { addClipsJobIfDue } from './schedule-clips.js';
import { bookVersion } from './versions.js';

export type AssemblyScheduler = {
  /** After a row is recorded (or found recorded): its chapter's job, once every row of it is done. */
  afterRow(run: string, rowId: string): Promise<void>;
  /** Every complete chapter's job, and the book's if they are all assembled (enqueue of a finished run). */
  afterEnqueue(run: string): Promise<void>;
  /** The book's job, once every chapter's file holds its current version (after a chapter job). */
  afterChapter(run: string): Promise<void>;
  /** When the run finishes (its manifests written): the clip masters' job, in a run with `--master` and no chapters. */
  afterRunFinished(run: string): Promise<void>;
};

export type SchedulerDeps = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly queue: Queue<AssemblyJobData>;
  /** The plan in a run directory (cached: see makePlanCache). */
  readonly readPlan: (outDir: string) => Promise<ChapterPlan | undefined>;
};

/** The run's plan and directory, or undefined when the run has no chapters. */
export async function runPlan(
  deps: Pick<SchedulerDeps, 'redis' | 'prefix' | 'readPlan'>,
  run: string,
): Promise<{ plan: ChapterPlan; outDir: string } | undefined> {
  const [outDir, pointer] = await deps.redis.hmget(runKeys(deps.prefix, run).meta, 'outDir', PLAN_META_FIELD);
  if (!outDir || !pointer) return undefined;
  const plan = await deps.readPlan(outDir);
  return plan?.run === run ? { plan, outDir } : undefined;
}

const chapterOfRow = new WeakMap<ChapterPlan, Map<string, PlanChapter>>();

function findChapter(plan: ChapterPlan, rowId: string): PlanChapter | undefined {
  let byRow = chapterOfRow.get(plan);
  if (byRow === undefined) {
    byRow = new Map(
      plan.chapters.flatMap((chapter) => chapter.rows.map((row) => [row.id, chapter] as const)),
    );
    chapterOfRow.set(plan, byRow);
  }
  return byRow.get(rowId);
}

export function makeAssemblyScheduler(deps: SchedulerDeps): AssemblyScheduler {
  const { redis, prefix, queue } = deps;

  /**
   * Adds a job by its fixed id (nothing when that version's job exists); with `retryFailed`, a
   * job of that version that failed for good (ffmpeg missing, a bad setting) is run again.
   */
  const add = async (data: AssemblyJobData, jobId: string, retryFailed: boolean): Promise<void> => {
    const job = await queue.add(data.kind, data, { ...ASSEMBLY_JOB_OPTIONS, jobId });
    if (retryFailed && (await job.isFailed())) {
      // Refused when another worker retried it first (runs finish on several workers at once).
      await job.retry('failed').catch(async (error: unknown) => {
        if (await job.isFailed()) throw error;
      });
    }
  };

  const addChapterJob = async (
    plan: ChapterPlan,
    chapter: PlanChapter,
    retryFailed = false,
  ): Promise<void> => {
    const readiness = await chapterReadiness(redis, prefix, plan, chapter, { untilIncomplete: true });
    if (!readiness.ready) return;
    const { index } = chapter;
    const data = { kind: 'chapter', run: plan.run, index, version: readiness.version } as const;
    await add(data, chapterJobId(plan.run, index, readiness.version), retryFailed);
  };

  const addBookJobIfDue = async (plan: ChapterPlan, outDir: string, retryFailed = false): Promise<void> => {
    const versions: string[] = [];
    for (const chapter of plan.chapters) {
      const [readiness, marker] = await Promise.all([
        chapterReadiness(redis, prefix, plan, chapter, { untilIncomplete: true }),
        readChapterMarker(outDir, chapter.index),
      ]);
      if (!readiness.ready || marker?.version !== readiness.version) return;
      versions.push(readiness.version);
    }
    const version = bookVersion(plan, versions);
    const data = { kind: 'book', run: plan.run, version, chapters: versions } as const;
    await add(data, bookJobId(plan.run, version), retryFailed);
  };

  return {
    async afterRow(run, rowId) {
      const found = await runPlan(deps, run);
      const chapter = found && findChapter(found.plan, rowId);
      if (found && chapter) await addChapterJob(found.plan, chapter);
    },
    async afterEnqueue(run) {
      const found = await runPlan(deps, run);
      if (found === undefined) {
        await addClipsJobIfDue(deps, run, (data, jobId) => add(data, jobId, true));
        return;
      }
      for (const chapter of found.plan.chapters) await addChapterJob(found.plan, chapter, true);
      await addBookJobIfDue(found.plan, found.outDir, true);
    },
    async afterChapter(run) {
      const found = await runPlan(deps, run);
      if (found) await addBookJobIfDue(found.plan, found.outDir);
    },
    async afterRunFinished(run) {
      // A clips job that failed for good (no ffmpeg, a clip missing on disk) is tried again.
      await addClipsJobIfDue(deps, run, (data, jobId) => add(data, jobId, true));
    },
  };
}
