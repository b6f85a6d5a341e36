import { seededUniform } from './random.js';

export type CallKind = 'submit' | 'status' | 'result';

/** What goes wrong with one call, if anything. */
export type Fault =
  | { readonly kind: 'none' }
  | { readonly kind: '429'; readonly resetAfterS: number }
  | { readonly kind: '5xx'; readonly status: 500 | 502 | 503 | 504 }
  | { readonly kind: 'reset' };

export type FaultRates = {
  readonly seed: number;
  readonly rate429: number;
  readonly rate5xx: number;
  readonly rateReset: number;
  readonly latencyScale: number;
};

const SERVER_ERRORS = [500, 502, 503, 504] as const;

/**
 * The fault for the `n`th call of a kind on a key (the text's SHA-256 for submits, the request id
 * for status and result). Each fault has its own draw, checked in a fixed order, so a rate of 1
 * always gives that fault, and the answer depends on nothing but these arguments.
 */
export function drawFault(rates: FaultRates, kind: CallKind, key: string, n: number): Fault {
  const { seed } = rates;
  if (seededUniform(seed, 'fault-429', kind, key, n) < rates.rate429) {
    // Random 429s advertise a wait of 1–5 modelled seconds, scaled like the latencies so that tests stay fast.
    const resetAfterS = (1 + 4 * seededUniform(seed, 'fault-429-wait', kind, key, n)) * rates.latencyScale;
    return { kind: '429', resetAfterS };
  }
  if (seededUniform(seed, 'fault-5xx', kind, key, n) < rates.rate5xx) {
    const index = Math.floor(seededUniform(seed, 'fault-5xx-status', kind, key, n) * SERVER_ERRORS.length);
    return { kind: '5xx', status: SERVER_ERRORS[index] ?? 500 };
  }
  if (seededUniform(seed, 'fault-reset', kind, key, n) < rates.rateReset) return { kind: 'reset' };
  return { kind: 'none' };
}

/** Reasons a real inference ends FAILED, for `--rate-failed`. */
export const FAILURE_REASONS = [
  'Content blocked by safety filter',
  'Model returned no audio',
  'Inference timed out',
  'Internal inference error',
] as const;

/** Whether the inference of a request ends FAILED, and why. */
export function drawFailure(seed: number, rateFailed: number, requestId: string): string | undefined {
  if (seededUniform(seed, 'failed', requestId) >= rateFailed) return undefined;
  const index = Math.floor(seededUniform(seed, 'failed-reason', requestId) * FAILURE_REASONS.length);
  return FAILURE_REASONS[index] ?? FAILURE_REASONS[0];
}

/** Counts calls per (kind, key), so each call knows its `n` for `drawFault`. */
export function makeCallCounter(): (kind: CallKind, key: string) => number {
  const counts = new Map<string, number>();
  return (kind, key) => {
    const id = `${kind}\u0000${key}`;
    const n = (counts.get(id) ?? 0) + 1;
    counts.set(id, n);
    return n;
  };
}
