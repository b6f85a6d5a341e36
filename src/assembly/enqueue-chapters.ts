import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import type { RowSpool } from '../enqueue/row-spool.js';
import type { ScriptScan } from '../enqueue/scan-script.js';
import type { MasterProfile } from '../master/acx-spec.js';
import { ASSEMBLY_QUEUE, runKeys } from '../queue/keys.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import type { AssemblyJobData } from './assembly-jobs.js';
import type { AssemblyPauses } from './assembly-settings.js';
import { buildChapterPlan } from './build-plan.js';
import { saveRunMaster } from './clips-run.js';
import type { ChapterPlan } from './chapter-plan.js';
import { makePlanCache, PLAN_META_FIELD, writeChapterPlan } from './plan-store.js';
import { makeAssemblyScheduler } from './schedule-assembly.js';

/** What enqueue is told about chapters: `--chapters` and the pauses of the settings. */
export type EnqueueChapters = {
  /** `--chapters`: a CSV/JSONL script's rows are joined into chapters (a book's always are). */
  readonly chapters: boolean;
  readonly pauses: AssemblyPauses;
  /** `--master acx` / `TTS_MASTER`: the book job masters the chapters; without chapters, each clip is. */
  readonly master?: MasterProfile | undefined;
};

export const DEFAULT_PAUSES: AssemblyPauses = {
  titleMs: DEFAULT_SETTINGS.pauseTitleMs,
  paragraphMs: DEFAULT_SETTINGS.pauseParagraphMs,
  chapterMs: DEFAULT_SETTINGS.pauseChapterMs,
  trimPadMs: DEFAULT_SETTINGS.trimPadMs,
};

/**
 * Writes the run's chapter plan (before any job is added, so that every worker finishing a row
 * finds it) and points the run's meta at it; a run without chapters loses its pointer. The
 * meta also keeps `--master`, which a run without chapters applies to its clips.
 */
export async function saveChapterPlan(
  input: {
    redis: RedisClient;
    prefix: string;
    run: string;
    outDir: string;
    scan: ScriptScan;
    spool: RowSpool;
  },
  options: EnqueueChapters | undefined,
): Promise<ChapterPlan | undefined> {
  const plan = await buildChapterPlan({
    run: input.run,
    outDir: input.outDir,
    scan: input.scan,
    spool: input.spool,
    pauses: options?.pauses ?? DEFAULT_PAUSES,
    chapters: options?.chapters ?? false,
    master: options?.master,
  });
  const meta = runKeys(input.prefix, input.run).meta;
  await saveRunMaster(input.redis, input.prefix, input.run, options?.master);
  if (plan === undefined) {
    await input.redis.hdel(meta, PLAN_META_FIELD);
    return undefined;
  }
  const pointer = await writeChapterPlan(input.outDir, plan);
  await input.redis.hset(meta, PLAN_META_FIELD, pointer);
  return plan;
}

/**
 * After an enqueue: the jobs of every chapter whose rows are all done already (a finished run
 * enqueued again, rows adopted from disk, other pauses), and the book's if they are assembled;
 * in a finished run without chapters enqueued with `--master`, the clip masters' job.
 */
export async function scheduleAfterEnqueue(redis: RedisClient, prefix: string, run: string): Promise<void> {
  const queue = new Queue<AssemblyJobData>(ASSEMBLY_QUEUE, { connection: redis, prefix });
  queue.on('error', () => undefined);
  try {
    await makeAssemblyScheduler({ redis, prefix, queue, readPlan: makePlanCache() }).afterEnqueue(run);
  } finally {
    await queue.close();
  }
}
