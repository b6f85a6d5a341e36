import { setMaxListeners } from 'node:events';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../log.js';
import { globalKeys, ROWS_QUEUE } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
import { makeRedis } from '../redis/connection.js';
import { makeSegmindClient } from '../segmind/client.js';
import type { Settings } from '../settings.js';
import { makePollModeStore } from './await-completion.js';
import { makeLatencyStats } from './latency-stats.js';
import { DEFAULT_POLL_OPTIONS } from './poll-schedule.js';
import { processRow, type RowContext } from './process-row.js';
import { makeRequestBudget } from './request-budget.js';
import { HandBack, RowFailed } from './row-signals.js';

export type RowWorkerOptions = {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Overrides `settings.concurrency`. */
  readonly concurrency?: number;
  /** Overrides `settings.lockDurationMs`. */
  readonly lockDurationMs?: number;
  readonly now?: () => number;
};

export type RowWorker = {
  readonly worker: Worker<RowJobData>;
  /**
   * Stops taking rows and waits for those in flight; after the grace period they are handed
   * back to the queue with their request ids, so nothing is lost either way.
   */
  stop(): Promise<void>;
};

/** A BullMQ worker that turns row jobs into audio, `concurrency` rows at a time. */
export function makeRowWorker(options: RowWorkerOptions): RowWorker {
  const { settings, logger } = options;
  const prefix = settings.queuePrefix;
  const redis = makeRedis(settings.redisUrl, 'worker');
  redis.on('error', (error: Error) =>
    logger.warn({ event: 'redis_error', err: error.message }, 'redis error'),
  );
  const connection = makeRedis(settings.redisUrl, 'worker');
  connection.on('error', () => {});
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection: redis, prefix });
  const budget = makeRequestBudget({ redis, prefix, rpm: settings.segmindRpm });
  const stopping = new AbortController();
  // Every row in flight waits on this one signal (a listener each): more than Node's default 10 is normal.
  setMaxListeners(0, stopping.signal);
  const now = options.now ?? Date.now;

  const context: RowContext = {
    redis,
    prefix,
    budget,
    latency: makeLatencyStats(redis, prefix),
    modes: makePollModeStore(redis, prefix),
    schedule: { ...DEFAULT_POLL_OPTIONS, name: settings.pollSchedule, intervalMs: settings.pollIntervalMs },
    pricesUsd: settings.pricesUsd,
    logger,
    now,
    maxAmbiguousSubmits: 2,
    maxExpiredResubmits: 3,
    makeClient: (onCall) =>
      makeSegmindClient({
        baseUrl: settings.segmindBaseUrl,
        apiKey: settings.segmindApiKey,
        requestTimeoutMs: settings.requestTimeoutMs,
        beforeRequest: (call, signal) => (call === 'download' ? Promise.resolve() : budget.acquire(signal)),
        onRateLimited: (waitMs) => budget.backOff(waitMs),
        onCall: (call) => {
          if (call !== 'download') onCall();
        },
      }),
    halt: async (reason) => {
      await queue.pause();
      await redis.hset(globalKeys(prefix).halt, 'reason', reason, 'at', new Date(now()).toISOString());
      logger.error(
        { event: 'run_halted', reason },
        'API refused the account: queue paused. Fix the cause, then run `tts-batch resume`.',
      );
    },
  };

  const processor = async (job: Job<RowJobData>, token?: string) => {
    try {
      await processRow(job, context, stopping.signal);
    } catch (error) {
      if (error instanceof HandBack) {
        await job.moveToDelayed(now() + error.delayMs, token);
        throw new DelayedError(error.message);
      }
      if (error instanceof RowFailed) throw new UnrecoverableError(error.message);
      throw error;
    }
  };

  const lockDurationMs = options.lockDurationMs ?? settings.lockDurationMs;
  const worker = new Worker<RowJobData>(ROWS_QUEUE, processor, {
    connection,
    prefix,
    concurrency: options.concurrency ?? settings.concurrency,
    lockDuration: lockDurationMs,
    stalledInterval: lockDurationMs,
    // A stalled row costs nothing to resume (its request id is in the job), so stalls never fail it.
    maxStalledCount: 1000,
  });
  worker.on('error', (error) => logger.warn({ event: 'worker_error', err: error.message }, 'worker error'));
  worker.on('failed', (job, error) => {
    if (job && !(error instanceof DelayedError)) {
      logger.debug({ event: 'job_failed', job: job.id, err: error.message }, 'job failed');
    }
  });

  return {
    worker,
    async stop() {
      const closing = worker.close();
      const timer = setTimeout(
        () => stopping.abort(new Error('shutdown grace period over')),
        settings.shutdownGraceMs,
      );
      try {
        await closing;
      } finally {
        clearTimeout(timer);
        await queue.close();
        redis.disconnect();
        connection.disconnect();
      }
    },
  };
}
