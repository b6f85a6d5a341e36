import type { PollScheduleName } from '../settings.js';
import { SECOND } from '../time.js';

/** What the fleet expects of one request's time from submit to completion. */
export type LatencyEstimate = {
  readonly medianMs: number;
  /** Spread of ln(latency). */
  readonly sigma: number;
  /** How many completed requests the estimate rests on; 0 = the prior alone. */
  readonly observations: number;
};

export type PollScheduleOptions = {
  readonly name: PollScheduleName;
  /** Interval of `fixed`, first wait of `exponential`. */
  readonly intervalMs: number;
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
};

export const DEFAULT_POLL_OPTIONS = {
  name: 'adaptive',
  intervalMs: 1 * SECOND,
  minIntervalMs: 50,
  maxIntervalMs: 30 * SECOND,
} as const satisfies PollScheduleOptions;

/**
 * The adaptive schedule's shape, in units of the learned spread σ: the first poll goes where about
 * 36% of requests have completed (the median shifted by `firstPollZ` sigmas); each later wait
 * moves the next poll `stepZ` sigmas further out, a share `e^(stepZ·σ) − 1` of the time elapsed
 * since submit (never below `minStepShare`). Tying the step to σ keeps the schedule near the best
 * trade-off between calls and detection delay for any spread: at the simulator's σ ≈ 0.3 it costs
 * ~3.5 calls per row (result mode) for a mean delay of ~15% of the request's latency, where the
 * best possible schedule gets ~14% (≤ 10% would need ~4.3 calls: BENCHMARKS.md); for a nearly
 * fixed latency (σ → 0.05) it polls a few percent apart.
 * Until the fleet has seen a few completions, the prior (from the model table) may be far off,
 * so the first poll comes no later than `coldStartFirstPollMs` and waits grow by half.
 */
export const ADAPTIVE = {
  firstPollZ: -0.35,
  stepZ: 0.6,
  minStepShare: 0.02,
  coldStartObservations: 3,
  coldStartFirstPollMs: 1 * SECOND,
  coldStartGrowth: 1.5,
} as const;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * How long to wait before poll number `polls` (0 = the first poll after submit) of a request
 * submitted `elapsedMs` ago. Pure: the same inputs always give the same wait.
 */
export function nextPollDelayMs(
  options: PollScheduleOptions,
  estimate: LatencyEstimate,
  elapsedMs: number,
  polls: number,
): number {
  const bound = (ms: number) => Math.round(clamp(ms, options.minIntervalMs, options.maxIntervalMs));
  switch (options.name) {
    case 'fixed':
      return Math.max(1, Math.round(options.intervalMs));
    case 'exponential':
      return bound(options.intervalMs * 2 ** polls);
    case 'adaptive': {
      const cold = estimate.observations < ADAPTIVE.coldStartObservations;
      if (polls === 0) {
        const firstAtMs = estimate.medianMs * Math.exp(ADAPTIVE.firstPollZ * estimate.sigma);
        const target = cold ? Math.min(firstAtMs, ADAPTIVE.coldStartFirstPollMs) : firstAtMs;
        return bound(target - elapsedMs);
      }
      const share = cold
        ? ADAPTIVE.coldStartGrowth - 1
        : Math.max(ADAPTIVE.minStepShare, Math.expm1(ADAPTIVE.stepZ * estimate.sigma));
      return bound(elapsedMs * share);
    }
  }
}
