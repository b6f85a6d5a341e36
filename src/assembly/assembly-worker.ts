import { setTimeout as delay } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../log.js';
import { ASSEMBLY_QUEUE } from '../queue/keys.js';
import type { AssemblyJobData } from './assembly-jobs.js';
import { assembleBook, type BookTools } from './book-job.js';
import { assembleChapter, type AssemblyJobDeps, type JoinChapter } from './chapter-job.js';
import { assembleClipMasters, type MasterClipTool } from './clips-job.js';
import { MixedFormatsError } from './book-layout.js';
import { ChapterPlanError, makePlanCache } from './plan-store.js';
import { makeAssemblyScheduler, type AssemblyScheduler } from './schedule-assembly.js';

export type AssemblyWorkerOptions = {
  /** For commands and the scheduler (a worker-role connection: it waits out Redis restarts). */
  readonly redis: RedisClient;
  /** For BullMQ's blocking worker connection. */
  readonly connection: RedisClient;
  readonly prefix: string;
  readonly logger: Logger;
  readonly lockDurationMs: number;
  readonly testPauseMs: number;
  /** The audio tools, found once per job (ffmpeg may be installed while the worker runs). */
  readonly tools: () => Promise<{
    join: JoinChapter;
    book: BookTools;
    masterClip: MasterClipTool | undefined;
  }>;
  /**
   * Where the BullMQ worker's errors go (default: a warning each). The row worker passes its
   * Redis watch, which says a lost Redis once, not once per retry of every connection.
   */
  readonly onError?: (error: Error) => void;
};

export type AssemblyWorker = {
  readonly worker: Worker<AssemblyJobData>;
  /** What the row worker calls after each row (the chapter's and the book's jobs when due) and when a run finishes (clip masters). */
  readonly scheduler: AssemblyScheduler;
  /** Waits up to `boundMs` for the job in hand, then gives it up (it is taken again elsewhere). */
  close(boundMs: number): Promise<void>;
};

/** Failures that another attempt cannot fix (a clip of another format, MP3 without ffmpeg). */
const PERMANENT = new Set([
  'AudioFormatError',
  'NeedsFfmpeg',
  'MixedFormatsError',
  'ChapterPlanError',
  'M4bInputError',
  // TTS_FFMPEG names an ffmpeg that does not run: fix the setting, then `npm run enqueue` again.
  'ConfigError',
]);

/**
 * The second BullMQ worker of every worker process: chapter and book assembly, and the clip
 * masters of runs without chapters, one job at a time. A job whose worker was killed stalls and is taken again by any worker; its outputs are
 * written to temporary names and renamed, and its done-marker makes a repeat a no-op.
 */
export function makeAssemblyWorker(options: AssemblyWorkerOptions): AssemblyWorker {
  const { redis, prefix, logger } = options;
  const queue = new Queue<AssemblyJobData>(ASSEMBLY_QUEUE, { connection: redis, prefix });
  queue.on('error', () => undefined);
  const readPlan = makePlanCache();
  const scheduler = makeAssemblyScheduler({ redis, prefix, queue, readPlan });
  const deps: AssemblyJobDeps = { redis, prefix, readPlan, logger, testPauseMs: options.testPauseMs };

  const processor = async (job: Job<AssemblyJobData>) => {
    const log = logger.child({ job: job.id, run: job.data.run });
    log.info({ event: 'assembly_started', kind: job.data.kind }, 'assembly job started');
    try {
      const tools = await options.tools();
      const data = job.data;
      const jobDeps = { ...deps, logger: log };
      const outcome =
        data.kind === 'chapter'
          ? await assembleChapter(data, tools.join, jobDeps)
          : data.kind === 'book'
            ? await assembleBook(data, tools.book, jobDeps)
            : await assembleClipMasters(data, tools.masterClip, jobDeps);
      if (data.kind === 'chapter') await scheduler.afterChapter(data.run);
      return outcome;
    } catch (error) {
      if (error instanceof Error && (PERMANENT.has(error.name) || error instanceof MixedFormatsError)) {
        log.error({ event: 'assembly_failed', reason: error.message }, 'assembly failed');
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  };

  const worker = new Worker<AssemblyJobData>(ASSEMBLY_QUEUE, processor, {
    connection: options.connection,
    prefix,
    concurrency: 1,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.lockDurationMs,
    // A killed assembly costs nothing to redo: stalls never fail it.
    maxStalledCount: 1000,
  });
  worker.on(
    'error',
    options.onError ??
      ((error) =>
        logger.warn({ event: 'assembly_worker_error', reason: error.message }, 'assembly worker error')),
  );
  worker.on('failed', (job, error) => {
    logger.warn(
      { event: 'assembly_attempt_failed', job: job?.id, reason: error.message },
      'assembly attempt failed',
    );
  });

  return {
    worker,
    scheduler: {
      ...scheduler,
      // A damaged plan file must not fail the rows: say so, and leave the chapters unassembled.
      afterRow: (run, rowId) =>
        scheduler.afterRow(run, rowId).catch((error: unknown) => {
          if (!(error instanceof ChapterPlanError)) throw error;
          logger.error(
            { event: 'chapter_plan_unreadable', run, reason: error.message },
            'chapter plan unreadable: enqueue the script again to write it',
          );
        }),
    },
    async close(boundMs) {
      const closing = worker.close().then(() => true);
      closing.catch(() => undefined);
      const closed = await Promise.race([closing, delay(boundMs, false, { ref: false })]).catch(() => false);
      // Cut short: the job's lock lapses and another worker takes it again from the start.
      if (!closed) await worker.close(true).catch(() => undefined);
      await Promise.race([queue.close(), delay(1_000, undefined, { ref: false })]).catch(() => undefined);
      options.connection.disconnect();
    },
  };
}
