import type { Redis } from 'ioredis';
import { globalKeys } from '../queue/keys.js';
import { MODELS, type ModelSlug } from '../segmind/models.js';
import { SECOND } from '../time.js';
import type { LatencyEstimate } from './poll-schedule.js';

/**
 * The prior: latency grows linearly with text length, calibrated on the model table's typical
 * latency for a ~200-character text, with a fixed part for queueing and setup (a quarter).
 */
export function priorMedianMs(model: ModelSlug, chars: number): number {
  const typicalMs = MODELS[model].typicalLatencyS * SECOND;
  const fixedMs = typicalMs / 4;
  return fixedMs + ((typicalMs - fixedMs) / 200) * Math.max(1, chars);
}

const PRIOR_SIGMA = 0.5;
const MIN_SIGMA = 0.05;
/** Weight of a new observation in the moving averages. */
const ALPHA = 0.1;

/**
 * Latency the fleet has observed, by model, kept in Redis so that every worker (and a restarted
 * one) starts from what the others learned. The statistic is the log of observed over prior
 * latency: its moving mean corrects the prior's scale, its moving variance gives the spread.
 */
export type LatencyStats = {
  estimate(model: ModelSlug, chars: number): Promise<LatencyEstimate>;
  observe(model: ModelSlug, chars: number, latencyMs: number): Promise<void>;
};

export function makeLatencyStats(redis: Redis, prefix: string): LatencyStats {
  const key = globalKeys(prefix).latency;
  async function read(model: ModelSlug) {
    const [mean, variance, count] = await redis.hmget(key, `${model}:mean`, `${model}:var`, `${model}:n`);
    return { mean: Number(mean ?? 0), variance: Number(variance ?? 0), count: Number(count ?? 0) };
  }
  return {
    async estimate(model, chars) {
      const { mean, variance, count } = await read(model);
      const prior = priorMedianMs(model, chars);
      if (count === 0) return { medianMs: prior, sigma: PRIOR_SIGMA, observations: 0 };
      return {
        medianMs: prior * Math.exp(mean),
        sigma: Math.max(MIN_SIGMA, Math.sqrt(variance)),
        observations: count,
      };
    },
    async observe(model, chars, latencyMs) {
      if (!(latencyMs > 0)) return;
      const ratio = Math.log(latencyMs / priorMedianMs(model, chars));
      const { mean, variance, count } = await read(model);
      // The first observation sets the scale outright; a moving average from 0 would take dozens of rows.
      const nextMean = count === 0 ? ratio : mean + ALPHA * (ratio - mean);
      const nextVariance =
        count === 0 ? PRIOR_SIGMA ** 2 : (1 - ALPHA) * (variance + ALPHA * (ratio - mean) ** 2);
      await redis.hset(key, `${model}:mean`, nextMean, `${model}:var`, nextVariance, `${model}:n`, count + 1);
    },
  };
}
