import { access } from 'node:fs/promises';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { pathInRun, writeFileAtomic } from '../output/run-files.js';
import type { RowJobData, RowProgress, SavedAudio } from '../queue/row-job.js';
import { runKeys } from '../queue/keys.js';
import type { SegmindClient } from '../segmind/client.js';
import { classifyError } from '../segmind/classify.js';
import { RateLimitedError } from '../segmind/errors.js';
import type { ModelSlug } from '../segmind/models.js';
import { awaitCompletion, type PollModeStore } from './await-completion.js';
import type { LatencyStats } from './latency-stats.js';
import type { PollScheduleOptions } from './poll-schedule.js';
import type { RequestBudget } from './request-budget.js';
import { finishRow, manifestEntry, type OutcomeInput } from './row-outcome.js';
import { HandBack, RowFailed } from './row-signals.js';

export type RowContext = {
  readonly redis: Redis;
  readonly prefix: string;
  /** A client for this row: its hooks count the row's calls and spend the fleet's budget. */
  readonly makeClient: (onCall: () => void) => SegmindClient;
  readonly budget: RequestBudget;
  readonly latency: LatencyStats;
  readonly modes: PollModeStore;
  readonly schedule: PollScheduleOptions;
  readonly pricesUsd: Readonly<Record<ModelSlug, number>>;
  /** Stops the whole run (401, 403, 406, 410): pauses the queue with an operator message. */
  readonly halt: (reason: string) => Promise<void>;
  readonly logger: Logger;
  readonly now: () => number;
  /** Submissions whose outcome was unknown (reset or timeout after sending) tolerated per row. */
  readonly maxAmbiguousSubmits: number;
  /** Resubmissions after an expired result tolerated per row: each one is paid for again. */
  readonly maxExpiredResubmits: number;
};

const EMPTY_PROGRESS: RowProgress = { submits: 0, requestIds: [], resubmitReasons: [], calls: 0 };

/**
 * Takes one row from wherever its last worker left it to a saved file and a recorded outcome.
 * Every fact that must survive a crash (a request id, a save) is written to the job before the
 * next step. Throws HandBack (give the row back unchanged) or RowFailed (outcome recorded).
 */
export async function processRow(
  job: Job<RowJobData>,
  context: RowContext,
  signal: AbortSignal,
): Promise<void> {
  const data = job.data;
  const logger = context.logger.child({ run: data.run, row: data.id, job: job.id });
  let progress: RowProgress = data.progress ?? EMPTY_PROGRESS;
  let unsavedCalls = 0;
  const client = context.makeClient(() => (unsavedCalls += 1));
  const attempts = job.attemptsStarted || job.attemptsMade + 1;

  const save = async (next: Partial<RowProgress>) => {
    progress = { ...progress, ...next, calls: progress.calls + unsavedCalls };
    const calls = unsavedCalls;
    unsavedCalls = 0;
    // The counter goes on its own connection alongside: storing a request id waits for one round trip, not two.
    await Promise.all([
      job.updateData({ ...data, progress }),
      calls > 0 ? context.redis.hincrby(runKeys(context.prefix, data.run).stats, 'calls', calls) : undefined,
    ]);
  };
  const finish = async (outcome: OutcomeInput) => {
    await save({});
    const entry = manifestEntry(data, progress, attempts, outcome, new Date(context.now()));
    await finishRow(context.redis, context.prefix, data, entry, logger);
  };

  if (progress.saved && (await fileExists(pathInRun(data.outDir, progress.saved.file)))) {
    await finish({ status: 'completed', saved: progress.saved });
    return;
  }
  if (progress.submittingSince !== undefined && !progress.current) {
    // The last worker died between sending a submit and storing its answer: it may have been billed.
    logger.warn({ event: 'ambiguous_submit', cause: 'crash' }, 'previous submit has an unknown outcome');
    await save({
      submittingSince: undefined,
      resubmitReasons: [...progress.resubmitReasons, 'crash-during-submit'],
    });
  }

  for (;;) {
    try {
      if (!progress.current) {
        const expired = progress.resubmitReasons.filter((r) => r === 'expired').length;
        const ambiguous = progress.resubmitReasons.length - expired;
        if (ambiguous > context.maxAmbiguousSubmits) {
          throw new RowFailed(`gave up after ${ambiguous} submissions with unknown outcome`);
        }
        if (expired > context.maxExpiredResubmits) {
          throw new RowFailed(`gave up: the result expired before it was fetched ${expired} times`);
        }
        await submit(data, context, client, signal, save, () => progress, logger);
      }
      const request = progress.current;
      if (!request) continue;
      const chars = [...data.request.text].length;
      const estimate = await context.latency.estimate(data.request.model, chars);
      const result = await awaitCompletion({
        client,
        request,
        estimate,
        schedule: context.schedule,
        modes: context.modes,
        now: context.now,
        signal,
      });
      const observedMs = (result.metrics.totalTimeS ?? NaN) * 1000;
      await context.latency.observe(
        data.request.model,
        chars,
        Number.isFinite(observedMs) ? observedMs : context.now() - request.submittedAt,
      );
      const stillWanted =
        (await context.redis.hget(runKeys(context.prefix, data.run).rows, data.id)) === data.contentHash;
      if (!stillWanted) {
        logger.warn({ event: 'stale_row' }, 'row was re-enqueued with other content; result not saved');
        await save({});
        return;
      }
      const audio = await client.fetchAudio(result.output, signal);
      const file = `${data.id}.${audio.extension}`;
      await writeFileAtomic(data.outDir, file, audio.bytes, { writer: 'sole' });
      const saved: SavedAudio = {
        file,
        bytes: audio.byteLength,
        durationS: audio.durationS,
        sha256: audio.sha256,
        requestId: request.requestId,
        inferenceTimeS: result.metrics.inferenceTimeS ?? null,
        cost: result.metrics.cost ?? context.pricesUsd[data.request.model],
      };
      await save({ saved });
      await finish({ status: 'completed', saved });
      logger.info({ event: 'row_completed', requestId: request.requestId, file }, 'row completed');
      return;
    } catch (error) {
      if (signal.aborted) throw new HandBack('worker stopping', 0);
      if (error instanceof RowFailed) {
        await finish({ status: 'failed', error: error.message });
        throw error;
      }
      const { action, reason } = classifyError(error);
      logger.warn({ event: 'row_error', action, reason }, 'row error');
      switch (action) {
        case 'fail-row':
          await finish({ status: 'failed', error: reason });
          throw new RowFailed(reason);
        case 'stop-run':
          await save({});
          await context.halt(reason);
          throw new HandBack(reason, 5000);
        case 'resubmit':
          await save({ current: undefined, resubmitReasons: [...progress.resubmitReasons, 'expired'] });
          continue;
        case 'ambiguous-submit':
          await save({
            submittingSince: undefined,
            resubmitReasons: [...progress.resubmitReasons, 'ambiguous'],
          });
          continue;
        case 'backoff-fleet': {
          const waitMs = error instanceof RateLimitedError ? (error.retryAfterMs ?? 5000) : 5000;
          await context.budget.backOff(waitMs);
          await save({});
          continue;
        }
        case 'retry': {
          await save({});
          const last = attempts >= (job.opts.attempts ?? 1);
          if (last) {
            await finish({ status: 'failed', error: reason });
            throw new RowFailed(reason);
          }
          throw error;
        }
      }
    }
  }
}

async function submit(
  data: RowJobData,
  context: RowContext,
  client: SegmindClient,
  signal: AbortSignal,
  save: (next: Partial<RowProgress>) => Promise<void>,
  progress: () => RowProgress,
  logger: Logger,
): Promise<void> {
  const { text, model, voice_1, voice_2, temperature } = data.request;
  await save({ submittingSince: context.now(), submits: progress().submits + 1 });
  let answer;
  try {
    answer = await client.submit(
      model,
      { text, voice_1, temperature, ...(voice_2 ? { voice_2 } : {}) },
      signal,
    );
  } catch (error) {
    // Anything but an ambiguous failure surely created no job: take the submission back.
    if (classifyError(error).action !== 'ambiguous-submit') {
      await save({ submittingSince: undefined, submits: progress().submits - 1 });
    }
    throw error;
  }
  const current = {
    requestId: answer.requestId,
    statusUrl: answer.statusUrl,
    responseUrl: answer.responseUrl,
    submittedAt: context.now(),
  };
  await save({
    current,
    submittingSince: undefined,
    requestIds: [...progress().requestIds, answer.requestId],
  });
  logger.info({ event: 'submitted', requestId: answer.requestId }, 'row submitted');
}

async function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
