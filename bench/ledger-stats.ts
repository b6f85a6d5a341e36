import type { Ledger } from '../src/simulator/server.js';
import { mean, quantile } from './common.js';

export type PollingStats = {
  readonly rows: number;
  /** (submit + status + result calls) / rows. */
  readonly callsPerRow: number;
  /** Mean over requests of (first seen completed - completes at) / (completes at - submitted at). */
  readonly detectDelayRatio: number;
  readonly detectDelayRatioP90: number;
  /** Mean detection delay, ms (scaled time). */
  readonly detectDelayMs: number;
};

/**
 * Calls and detection delay of the requests of `model` (or all) in the simulator's ledger,
 * leaving out the first `skipFirst` requests submitted (the cold start, see BENCHMARKS.md).
 * Calls are counted per request: its submit, plus the status and result calls it received.
 */
export function pollingStats(ledger: Ledger, model?: string, skipFirst = 0): PollingStats {
  const models = new Map(ledger.submits.map((submit) => [submit.request_id, submit.model]));
  const requests = [...ledger.requests]
    .sort((a, b) => a.submitted_at - b.submitted_at)
    .slice(skipFirst)
    .filter((request) => model === undefined || models.get(request.request_id) === model);
  const seen = requests.filter((request) => request.first_seen_completed_at !== null);
  const ratios = seen.map(
    (request) =>
      ((request.first_seen_completed_at ?? 0) - request.completes_at) /
      Math.max(1, request.completes_at - request.submitted_at),
  );
  const calls = requests.reduce((sum, request) => sum + 1 + request.status_calls + request.result_calls, 0);
  return {
    rows: requests.length,
    callsPerRow: calls / Math.max(1, requests.length),
    detectDelayRatio: mean(ratios),
    detectDelayRatioP90: quantile(ratios, 0.9),
    detectDelayMs: mean(seen.map((request) => (request.first_seen_completed_at ?? 0) - request.completes_at)),
  };
}
