import { classifyError } from './classify.js';
import { SegmindError } from './errors.js';
import { failureFacts } from './http.js';
import type { RetryPolicy } from './retry-policy.js';

/** What the client does with a failed attempt. */
export type InPlaceRetry = {
  /** Send the same request again (after a wait) instead of throwing. */
  readonly inPlace: boolean;
  /** A 429: the fleet is to be held (whether or not this attempt is repeated). */
  readonly rateLimited: boolean;
  /** The wait the server asked for, already capped. */
  readonly serverWaitMs: number | undefined;
};

/**
 * Whether attempt number `attempt` (1-based) is repeated in place. `classifyError` decides what the
 * failure is; only `retry` and `backoff-fleet` are repeated, never a protocol failure (the worker
 * counts those), an answered status only if the policy lists it, a POST without an answer only when
 * it surely was not sent, and at most `policy.maxRetries` times.
 */
export function shouldRetryInPlace(
  error: unknown,
  method: 'GET' | 'POST',
  attempt: number,
  policy: RetryPolicy,
): InPlaceRetry {
  const { action, protocol } = classifyError(error);
  const rateLimited = action === 'backoff-fleet';
  if (!(error instanceof SegmindError)) return { inPlace: false, rateLimited, serverWaitMs: undefined };
  const recognised = (action === 'retry' || rateLimited) && !protocol;
  const safe =
    error.status === undefined
      ? method === 'GET' || failureFacts(error).beforeSend
      : policy.retryStatuses.includes(error.status);
  return {
    inPlace: recognised && safe && attempt <= policy.maxRetries,
    rateLimited,
    serverWaitMs: error.retryAfterMs,
  };
}
