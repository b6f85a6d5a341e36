import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { findAudioTools } from '../assembly/audio-tools.js';
import type { AssemblyJobData } from '../assembly/assembly-jobs.js';
import { makeAssemblyWorker } from '../assembly/assembly-worker.js';
import type { Logger } from '../log.js';
import { startNotifications } from '../notify/notifications.js';
import { makeBudgetStore } from '../queue/run-budget.js';
import { makeWindowStore } from '../queue/run-window.js';
import { makeBudgetHold } from './budget-hold.js';
import { makeClipChecker } from './clip-checker.js';
import { makeApiAnswerCounter } from '../queue/api-answer-counts.js';
import { globalKeys, ROWS_QUEUE } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
import { makeRedis } from '../redis/connection.js';
import type { Settings } from '../settings.js';
import { makePollModeStore } from './await-completion.js';
import { makeApiKeySource, type ApiKeySource } from './api-key.js';
import { makeCreditWatch } from './credit-watch.js';
import { haltMessage } from './halt-message.js';
import { makeKeyGuard } from './key-guard.js';
import { makeLatencyStats } from './latency-stats.js';
import { DEFAULT_POLL_OPTIONS } from './poll-schedule.js';
import { processRow } from './process-row.js';
import { watchRedis } from './redis-watch.js';
import { watchWorker } from './worker-watchdog.js';
import { makeProtocolWatch } from './protocol-watch.js';
import { makeRequestBudget } from './request-budget.js';
import { makeRowClientFactory } from './row-client.js';
import { makeRunDirs } from './run-dirs.js';
import { HandBack, LetGo, RowFailed } from './row-signals.js';
import { DEFAULT_SUBMIT_LIMITS } from './row-steps/next-step.js';
import type { RowContext } from './row-steps/row-context.js';

export type RowWorkerOptions = {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Overrides `settings.concurrency`. */
  readonly concurrency?: number;
  /** Overrides `settings.lockDurationMs`. */
  readonly lockDurationMs?: number;
  readonly now?: () => number;
  /** The clock run windows (`enqueue --window`) are judged on; tests move it (default: the real one). */
  readonly windowClock?: () => number;
  /** The key, and whether it follows `.env` (default: `settings.segmindApiKey`, fixed). */
  readonly apiKeys?: ApiKeySource;
};

export type RowWorker = {
  readonly worker: Worker<RowJobData>;
  /** The process's chapter and book assembly (see src/assembly/assembly-worker.ts). */
  readonly assembly: Worker<AssemblyJobData>;
  /**
   * Stops taking rows and waits for those in flight; after the grace period they are handed
   * back to the queue with their request ids, so nothing is lost either way. Resolves within the
   * grace period plus a few seconds whatever Redis does: rows it could not hand back return to
   * the queue when their locks expire.
   */
  stop(): Promise<void>;
};

/** After the grace period, how long handing rows back and closing may take before the worker gives up on Redis. */
const CLOSE_BOUND_MS = 4_000;

/** A BullMQ worker that turns row jobs into audio, `concurrency` rows at a time. */
export function makeRowWorker(options: RowWorkerOptions): RowWorker {
  const { settings, logger } = options;
  const prefix = settings.queuePrefix;
  const redis = makeRedis(settings, 'worker');
  const watch = watchRedis({ redis, target: settings, logger });
  // BullMQ's connection reports through the worker's 'error' event too: said once, there.
  const connection = makeRedis(settings, 'worker');
  connection.on('error', () => undefined);
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection: redis, prefix });
  queue.on('error', (error) => watch.otherError(error));
  const budget = makeRequestBudget({ redis, prefix, rpm: settings.segmindRpm });
  const countAnswer = makeApiAnswerCounter(redis, prefix);
  const stopping = new AbortController();
  // Aborted when stop() is called: rows start no submit from then on (see RowContext.draining).
  const draining = new AbortController();
  // Every row in flight waits on this one signal (a listener each): more than Node's default 10 is normal.
  setMaxListeners(0, stopping.signal);
  const now = options.now ?? Date.now;
  const keys = options.apiKeys ?? makeApiKeySource({ key: settings.segmindApiKey ?? '' });
  const guard = makeKeyGuard({ redis, prefix, keys, logger });
  const notifications = startNotifications({ settings, logger, redis, connection });
  const halt = async (reason: string) => {
    const keyRefused = guard.refusedNow();
    await queue.pause();
    await redis.hset(globalKeys(prefix).halt, 'reason', reason, 'at', new Date(now()).toISOString());
    guard.onHalt();
    logger.error({ event: 'run_halted', reason }, haltMessage(keyRefused, keys.followsDotEnv));
    await notifications.halted(reason, now());
  };

  const budgets = makeBudgetStore(redis, prefix);
  const context: RowContext = {
    redis,
    prefix,
    budget,
    latency: makeLatencyStats(redis, prefix),
    modes: makePollModeStore(redis, prefix),
    schedule: { ...DEFAULT_POLL_OPTIONS, name: settings.pollSchedule, intervalMs: settings.pollIntervalMs },
    pricesUsd: settings.pricesUsd,
    budgets,
    qa: makeClipChecker({ redis, prefix, settings, logger }),
    qaRetakes: settings.qaRetakes,
    holdRecheckMs: settings.holdRecheckMs,
    windows: makeWindowStore(redis, prefix),
    windowClock: options.windowClock ?? Date.now,
    onBudgetHold: makeBudgetHold({ redis, prefix, budgets, notifier: notifications.notifier, logger, now }),
    limits: DEFAULT_SUBMIT_LIMITS,
    rowDeadlineMs: settings.rowDeadlineMs,
    maxTransient: settings.rowTransientFailures,
    protocol: makeProtocolWatch(redis, prefix, settings.maxProtocolErrors, halt),
    halt,
    runDir: makeRunDirs(redis, prefix, logger, now),
    logger,
    now,
    draining: draining.signal,
    notify: notifications.notifier,
    afterRunFinished: (run) => assembly.scheduler.afterRunFinished(run),
    makeClient: makeRowClientFactory({
      settings,
      budget,
      guard,
      countAnswer,
      credits: makeCreditWatch({ redis, prefix, floorUsd: settings.minCreditsUsd, halt, logger, now }),
    }),
  };

  /** Rows this worker holds now: a stop that cannot reach Redis leaves them to their locks. */
  let inHand = 0;
  const processor = async (job: Job<RowJobData>, token?: string) => {
    inHand += 1;
    try {
      await processRow(job, token ?? '', context, stopping.signal);
      // Every way a row ends done (also found already recorded): its chapter may be complete now.
      await assembly.scheduler.afterRow(job.data.run, job.data.id);
    } catch (error) {
      if (error instanceof HandBack) {
        if (error.delayMs > 0) {
          await job.moveToDelayed(now() + error.delayMs, token);
          throw new DelayedError(error.message);
        }
        // To the front of the queue: a row handed back at once (a stopping worker's) is taken
        // next, so that a request already paid for is collected before new rows are submitted.
        await job.moveToWait(token);
        throw new WaitingError(error.message);
      }
      // Not this worker's row any more: leave the job to whoever holds it.
      if (error instanceof LetGo) throw new DelayedError(error.message);
      if (error instanceof RowFailed) throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      inHand -= 1;
    }
  };

  const lockDurationMs = options.lockDurationMs ?? settings.lockDurationMs;
  const assembly = makeAssemblyWorker({
    redis,
    connection: makeRedis(settings, 'worker'),
    onError: (error) => watch.otherError(error),
    prefix,
    logger,
    lockDurationMs,
    testPauseMs: settings.assemblyTestPauseMs,
    tools: () => findAudioTools(settings, logger),
  });
  const worker = new Worker<RowJobData>(ROWS_QUEUE, processor, {
    connection,
    prefix,
    concurrency: options.concurrency ?? settings.concurrency,
    lockDuration: lockDurationMs,
    stalledInterval: lockDurationMs,
    // A stalled row costs nothing to resume (its request id is in its progress), so stalls never fail it.
    maxStalledCount: 1000,
  });
  worker.on('error', (error) => watch.otherError(error));
  const stopWatchdog = watchWorker({ worker, redisReady: () => redis.status === 'ready', logger });
  worker.on('failed', (job, error) => {
    if (job) logJobFailure(logger, job, error);
  });

  return {
    worker,
    assembly: assembly.worker,
    async stop() {
      stopWatchdog();
      draining.abort();
      // A delivery cut short is taken again by another worker once its lock lapses.
      const notifyClosed = notifications.close();
      // An assembly cut short by the grace period is taken again by another worker (its lock lapses).
      const assemblyClosed = assembly.close(settings.shutdownGraceMs + CLOSE_BOUND_MS);
      const closing = worker.close();
      closing.catch(() => {});
      const timer = setTimeout(
        () => stopping.abort(new Error('shutdown grace period over')),
        settings.shutdownGraceMs,
      );
      try {
        const closed = await Promise.race([
          closing.then(() => true),
          delay(settings.shutdownGraceMs + CLOSE_BOUND_MS, false, { ref: false }),
        ]);
        if (!closed && inHand > 0) {
          logger.error(
            { event: 'stop_without_redis', rows: inHand },
            'could not hand rows back (Redis unreachable?): they return to the queue when their locks expire',
          );
        } else if (!closed) {
          // Seen after a Redis Cluster failover: BullMQ's close waits on a connection that no
          // longer answers. No row is in hand, so nothing is left behind.
          logger.warn(
            { event: 'stop_slow' },
            'BullMQ did not close its Redis connections in time; no row was in hand, nothing is left behind',
          );
        }
      } finally {
        clearTimeout(timer);
        stopping.abort(new Error('stopped'));
        // Bounded like the rest: BullMQ's close(true) after a close() that hangs on a frozen or
        // failed-over Redis node returns that same pending close, so the assembly's own bound can stall.
        await Promise.race([assemblyClosed, delay(1_000, undefined, { ref: false })]).catch(() => {});
        await Promise.race([queue.close(), delay(1_000, undefined, { ref: false })]).catch(() => {});
        await Promise.race([notifyClosed, delay(1_000, undefined, { ref: false })]).catch(() => {});
        watch.stop();
        redis.disconnect();
        connection.disconnect();
      }
    },
  };
}

/**
 * A row failed by its steps has said so (`row_failed`); a job that threw anything else fails in
 * BullMQ's attempts, and its last one is said at `warn` with the reason.
 */
function logJobFailure(logger: Logger, job: Job<RowJobData>, error: Error): void {
  if (error instanceof DelayedError || error instanceof WaitingError) return;
  // A job someone else wrote into Redis may carry anything as its data.
  const data = job.data as Partial<RowJobData> | null;
  const fields = { job: job.id, run: data?.run, row: data?.id, reason: error.message };
  if (error instanceof UnrecoverableError) {
    logger.debug({ event: 'job_failed', ...fields }, 'job failed');
  } else if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
    logger.warn(
      { event: 'job_failed', ...fields, attempts: job.attemptsMade },
      'row failed after its last attempt, with no outcome recorded: `npm run retry` sends it again',
    );
  } else {
    logger.info(
      { event: 'job_attempt_failed', ...fields, attempts: job.attemptsMade },
      'row attempt failed: retried later',
    );
  }
}
