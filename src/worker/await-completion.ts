import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../redis/connection.js';
import { globalKeys } from '../queue/keys.js';
import type { SubmittedRequest } from '../queue/row-job.js';
import type { ResultAnswer, SegmindClient } from '../segmind/client.js';
import { BadRequestError, NotFoundError, ProtocolError } from '../segmind/errors.js';
import { HOUR } from '../time.js';
import { RowDeadlineExceeded } from './row-signals.js';
import { nextPollDelayMs, type LatencyEstimate, type PollScheduleOptions } from './poll-schedule.js';

export type CompletedResult = Extract<ResultAnswer, { state: 'COMPLETED' }>;

/**
 * How a request is watched. `result`: GET the response URL directly, which saves a status call
 * per row when the API answers a pending request there with its status (Segmind does not say
 * whether it does). `status`: the documented way, status until COMPLETED, then the result.
 * The fleet starts with `result` and switches everyone to `status` the first time the response
 * URL answers a pending request with something else (stored in Redis).
 */
export type PollMode = 'result' | 'status';

/** A 404 from the response URL this soon after submit cannot be expiry (kept 1 hour). */
const RESULT_404_TRUST_MS = 50 * 60 * 1000;

export type PollModeStore = {
  get(): Promise<PollMode>;
  useStatus(): Promise<void>;
};

export function makePollModeStore(redis: RedisClient, prefix: string): PollModeStore {
  const key = globalKeys(prefix).pollMode;
  let cached: PollMode | undefined;
  return {
    async get() {
      cached ??= (await redis.get(key)) === 'status' ? 'status' : 'result';
      return cached;
    },
    async useStatus() {
      cached = 'status';
      await redis.set(key, 'status', 'PX', 24 * HOUR);
    },
  };
}

export type AwaitCompletionInput = {
  readonly client: SegmindClient;
  readonly request: SubmittedRequest;
  readonly estimate: LatencyEstimate;
  readonly schedule: PollScheduleOptions;
  readonly modes: PollModeStore;
  readonly now: () => number;
  readonly signal: AbortSignal;
  /** ms since epoch: no poll after this; the request is given up as late (RowDeadlineExceeded). */
  readonly deadlineAt: number;
};

/**
 * Polls one request on the schedule until it completes; throws what the client throws
 * (InferenceFailedError for FAILED, NotFoundError when expired, ...), or RowDeadlineExceeded.
 */
export async function awaitCompletion(input: AwaitCompletionInput): Promise<CompletedResult> {
  const { request, signal } = input;
  for (let polls = 0; ; polls += 1) {
    const elapsedMs = input.now() - request.submittedAt;
    const waitMs = nextPollDelayMs(input.schedule, input.estimate, elapsedMs, polls);
    if (input.now() + waitMs > input.deadlineAt) {
      throw new RowDeadlineExceeded(
        `no result ${Math.round(elapsedMs / 1000)} s after submit (request ${request.requestId})`,
      );
    }
    await delay(waitMs, undefined, { signal });
    const answer = await checkOnce(input);
    if (answer) return answer;
  }
}

async function checkOnce(input: AwaitCompletionInput): Promise<CompletedResult | undefined> {
  const { client, request, signal } = input;
  if ((await input.modes.get()) === 'result') {
    try {
      const answer = await client.result(request, signal);
      return answer.state === 'COMPLETED' ? answer : undefined;
    } catch (error) {
      const ageMs = input.now() - request.submittedAt;
      const unexpected =
        (error instanceof NotFoundError && ageMs < RESULT_404_TRUST_MS) ||
        error instanceof ProtocolError ||
        error instanceof BadRequestError;
      if (!unexpected) throw error;
      // The response URL does not answer pending requests usefully: ask status, which settles it
      // (a 404 there too means expired and is thrown), and watch by status from now on.
      const status = await client.status(request, signal);
      await input.modes.useStatus();
      if (status.state !== 'COMPLETED') return undefined;
    }
  } else {
    const status = await client.status(request, signal);
    if (status.state !== 'COMPLETED') return undefined;
  }
  const answer = await client.result(request, signal);
  return answer.state === 'COMPLETED' ? answer : undefined;
}
