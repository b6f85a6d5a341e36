import type { ModelSlug } from '../segmind/models.js';
import { SECOND } from '../time.js';

/**
 * Medians of one model's queue and inference times. Inference grows linearly with the text, so
 * a ~200-character request totals about the model's typical latency (8 s on 3.1, 18 s on 2.5).
 */
export type LatencyProfile = {
  readonly queueMedianS: number;
  readonly inferenceBaseS: number;
  readonly inferencePerCharS: number;
};

export const LATENCY_PROFILES = {
  // 1 + 2 + 0.025 · 200 = 8 s.
  'gemini-3.1-flash-tts': { queueMedianS: 1, inferenceBaseS: 2, inferencePerCharS: 0.025 },
  // 1.5 + 4.5 + 0.06 · 200 = 18 s.
  'gemini-2.5-flash-tts': { queueMedianS: 1.5, inferenceBaseS: 4.5, inferencePerCharS: 0.06 },
} as const satisfies Record<ModelSlug, LatencyProfile>;

export type LatencySettings = {
  readonly latencyScale: number;
  readonly latencySigma: number;
  readonly fixedLatencyS: number | undefined;
};

export type Latency = { readonly queueMs: number; readonly inferenceMs: number };

/** Queue plus inference median before scaling, in seconds: the noise-free latency of a request. */
export function medianLatencyS(model: ModelSlug, chars: number): number {
  const profile = LATENCY_PROFILES[model];
  return profile.queueMedianS + profile.inferenceBaseS + profile.inferencePerCharS * chars;
}

/**
 * One request's modelled times, scaled. `normals` are two standard normal draws (queue,
 * inference) supplied by the caller, so that this stays a pure function.
 */
export function sampleLatency(
  model: ModelSlug,
  chars: number,
  settings: LatencySettings,
  normals: readonly [number, number],
): Latency {
  const { latencyScale, latencySigma, fixedLatencyS } = settings;
  if (fixedLatencyS !== undefined) {
    return { queueMs: 0, inferenceMs: fixedLatencyS * latencyScale * SECOND };
  }
  const profile = LATENCY_PROFILES[model];
  // A lognormal with median m is m · e^(σ·z); the sum of two is a little right of the sum of medians.
  const queueS = profile.queueMedianS * Math.exp(latencySigma * normals[0]);
  const inferenceMedianS = profile.inferenceBaseS + profile.inferencePerCharS * chars;
  const inferenceS = inferenceMedianS * Math.exp(latencySigma * normals[1]);
  return { queueMs: queueS * latencyScale * SECOND, inferenceMs: inferenceS * latencyScale * SECOND };
}
