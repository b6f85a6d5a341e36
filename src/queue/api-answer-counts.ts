import type { RedisClient } from '../redis/connection.js';
import type { CallKind } from '../segmind/errors.js';
import { globalKeys } from './keys.js';

/**
 * How an API call ended, as the dashboard counts it: the HTTP status class (429 on its own: it
 * is the rate limit, not a refusal), `network` (refused, reset, or no answer) or `timeout`.
 */
export const ANSWER_CLASSES = ['2xx', '3xx', '4xx', '429', '5xx', 'network', 'timeout'] as const;
export type AnswerClass = (typeof ANSWER_CLASSES)[number];

/** One counter of the fleet's API answers. */
export type ApiAnswerCount = {
  readonly call: CallKind;
  readonly answer: AnswerClass;
  readonly count: number;
};

const CALLS: readonly CallKind[] = ['submit', 'status', 'result', 'download'];

export function answerClass(outcome: number | 'network' | 'timeout'): AnswerClass {
  if (outcome === 'network' || outcome === 'timeout') return outcome;
  if (outcome === 429) return '429';
  if (outcome >= 500) return '5xx';
  if (outcome >= 400) return '4xx';
  if (outcome >= 300) return '3xx';
  return '2xx';
}

/**
 * The client's `onCall` hook that counts every answer fleet-wide in Redis (one HINCRBY, not
 * awaited: a lost count must never hold up or fail a row).
 */
export function makeApiAnswerCounter(
  redis: RedisClient,
  prefix: string,
): (call: CallKind, outcome: number | 'network' | 'timeout') => void {
  const key = globalKeys(prefix).apiAnswers;
  return (call, outcome) => {
    redis.hincrby(key, `${call}:${answerClass(outcome)}`, 1).catch(() => {});
  };
}

/** Every counter kept so far, in a stable order (by call, then class). */
export async function readApiAnswerCounts(redis: RedisClient, prefix: string): Promise<ApiAnswerCount[]> {
  const stored = await redis.hgetall(globalKeys(prefix).apiAnswers);
  const counts: ApiAnswerCount[] = [];
  for (const call of CALLS) {
    for (const answer of ANSWER_CLASSES) {
      const count = Number(stored[`${call}:${answer}`] ?? 0);
      if (count > 0) counts.push({ call, answer, count });
    }
  }
  return counts;
}
