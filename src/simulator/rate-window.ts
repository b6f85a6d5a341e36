import { MINUTE } from '../time.js';

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly resetAtMs: number };

export type RateWindow = {
  /** Counts a call for `key` at `nowMs` if the last minute has room for it; refused calls are not counted. */
  take(key: string, nowMs: number): RateDecision;
};

/** A sliding 60-second window per key (an API key), `limit` calls at most. */
export function makeRateWindow(limit: number, windowMs = MINUTE): RateWindow {
  const callsByKey = new Map<string, number[]>();
  return {
    take(key, nowMs) {
      const calls = (callsByKey.get(key) ?? []).filter((atMs) => atMs > nowMs - windowMs);
      callsByKey.set(key, calls);
      const oldestMs = calls[0];
      if (calls.length >= limit && oldestMs !== undefined) {
        return { allowed: false, resetAtMs: oldestMs + windowMs };
      }
      calls.push(nowMs);
      return { allowed: true };
    },
  };
}
