/**
 * How the client retries a call that surely changed nothing: which statuses, how long to wait.
 * Pure data; the functions below are pure so that they can be tested without timers.
 */
export type RetryPolicy = {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). */
  readonly maxRetries: number;
  /** The first computed backoff. */
  readonly minDelayMs: number;
  /** The computed backoff never exceeds this. */
  readonly maxDelayMs: number;
  /** Growth of the computed backoff per attempt. */
  readonly factor: number;
  /** Share (0–1) of a computed backoff that may be taken off at random. Never applied to a server's wait. */
  readonly jitter: number;
  /** A server's wait (Retry-After, x-rate-limit-reset-at-utc) is capped at this. */
  readonly maxServerWaitMs: number;
  /** HTTP statuses worth another attempt. */
  readonly retryStatuses: readonly number[];
};

export const DEFAULT_RETRY_POLICY = {
  maxRetries: 6,
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.25,
  maxServerWaitMs: 120_000,
  retryStatuses: [429, 500, 502, 503, 504],
} as const satisfies RetryPolicy;

/** Fills in a partial policy and checks every field, naming the bad one. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...partial };
  const checks: readonly [keyof RetryPolicy, number, string, boolean][] = [
    [
      'maxRetries',
      policy.maxRetries,
      'an integer >= 0',
      Number.isInteger(policy.maxRetries) && policy.maxRetries >= 0,
    ],
    [
      'minDelayMs',
      policy.minDelayMs,
      'a finite number >= 0',
      Number.isFinite(policy.minDelayMs) && policy.minDelayMs >= 0,
    ],
    [
      'maxDelayMs',
      policy.maxDelayMs,
      'a finite number >= minDelayMs',
      Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= policy.minDelayMs,
    ],
    ['factor', policy.factor, 'a finite number >= 1', Number.isFinite(policy.factor) && policy.factor >= 1],
    ['jitter', policy.jitter, 'a number from 0 to 1', policy.jitter >= 0 && policy.jitter <= 1],
    [
      'maxServerWaitMs',
      policy.maxServerWaitMs,
      'a finite number >= 0',
      Number.isFinite(policy.maxServerWaitMs) && policy.maxServerWaitMs >= 0,
    ],
  ];
  for (const [name, value, expected, ok] of checks) {
    if (!ok) throw new RangeError(`Expected \`${name}\` to be ${expected}, got \`${value}\``);
  }
  return policy;
}

/**
 * The computed wait before retry number `attempt` (1-based): `min(minDelayMs · factor^(attempt−1), maxDelayMs)`,
 * less up to `jitter` of it at random.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`Expected \`attempt\` to be an integer >= 1, got \`${attempt}\``);
  }
  const baseMs = Math.min(policy.minDelayMs * policy.factor ** (attempt - 1), policy.maxDelayMs);
  const share = Math.min(Math.max(random(), 0), 1) * policy.jitter;
  return Math.round(baseMs * (1 - share));
}

const EPOCH_MS_THRESHOLD = 1e12;

function parseRetryAfterMs(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const dateMs = Date.parse(trimmed);
  return Number.isNaN(dateMs) ? undefined : dateMs - nowMs;
}

function parseResetAtMs(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const epoch = Number(trimmed);
    return (epoch >= EPOCH_MS_THRESHOLD ? epoch : epoch * 1000) - nowMs;
  }
  const dateMs = Date.parse(trimmed);
  return Number.isNaN(dateMs) ? undefined : dateMs - nowMs;
}

/**
 * The wait the server asked for, from `Retry-After` (seconds or an HTTP date), `retry-after-ms`, or
 * `x-rate-limit-reset-at-utc` (ISO date, or epoch seconds or milliseconds); the longest if several.
 * Clamped to 0..maxServerWaitMs; `undefined` when there is none.
 */
export function serverWaitMs(headers: Headers, nowMs: number, policy: RetryPolicy): number | undefined {
  const candidates: (number | undefined)[] = [];
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) candidates.push(parseRetryAfterMs(retryAfter, nowMs));
  const retryAfterMs = headers.get('retry-after-ms');
  if (retryAfterMs !== null && /^\d+(\.\d+)?$/.test(retryAfterMs.trim()))
    candidates.push(Number(retryAfterMs));
  const resetAt = headers.get('x-rate-limit-reset-at-utc');
  if (resetAt !== null) candidates.push(parseResetAtMs(resetAt, nowMs));
  const waits = candidates.filter((wait): wait is number => wait !== undefined && Number.isFinite(wait));
  if (waits.length === 0) return undefined;
  return Math.round(Math.min(Math.max(Math.max(...waits), 0), policy.maxServerWaitMs));
}

/** The wait before retry number `attempt`: the server's, when it gave one, else the computed backoff. */
export function retryDelayMs(
  attempt: number,
  serverWait: number | undefined,
  policy: RetryPolicy,
  random: () => number,
): number {
  return serverWait ?? backoffDelayMs(attempt, policy, random);
}
