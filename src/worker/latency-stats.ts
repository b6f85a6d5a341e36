import type { RedisClient } from '../redis/connection.js';
import { globalKeys } from '../queue/keys.js';
import { luaScript, runScript } from '../redis/scripts.js';
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
/** Observations a length bucket needs before its own statistics are used instead of the model's. */
const BUCKET_MIN_OBSERVATIONS = 5;

/**
 * Texts within a factor of two in length share a bucket: <50, <100, <200, ... characters. The
 * prior's shape (how latency grows with length) is a guess; per-bucket statistics correct it,
 * so that the spread left is the service's own, not the prior's misfit across lengths.
 */
export function lengthBucket(chars: number): number {
  return Math.min(8, Math.max(0, Math.floor(Math.log2(Math.max(1, chars) / 25))));
}

export type Moments = { readonly mean: number; readonly variance: number; readonly count: number };

/**
 * One observation's update of the moments: the reference of the math that OBSERVE_SCRIPT does in
 * Redis (the test checks that they agree).
 */
export function updated(moments: Moments, ratio: number): Moments {
  const { mean, variance, count } = moments;
  // A plain average while there are fewer than 1 / ALPHA observations, a moving one after: the
  // first observation sets the scale outright, and the prior's spread weighs like one
  // observation instead of decaying over dozens of rows (which kept early polls too sparse).
  const weight = Math.max(ALPHA, 1 / (count + 1));
  return {
    mean: mean + weight * (ratio - mean),
    variance: count === 0 ? PRIOR_SIGMA ** 2 : (1 - weight) * (variance + weight * (ratio - mean) ** 2),
    count: count + 1,
  };
}

/**
 * `updated()` applied in Redis to the model's and the length bucket's moments, in one atomic
 * step: a read in Node and a write back lost the observations that other workers wrote in
 * between (about one in ten at 32 rows in flight). ARGV: the log ratio, ALPHA, the prior
 * variance, then the mean, variance and count fields of each scope. Numbers are written with
 * 17 significant digits, which a double survives exactly.
 */
const OBSERVE_SCRIPT = luaScript(
  'ttsObserveLatency',
  1,
  `
local ratio = tonumber(ARGV[1])
local alpha = tonumber(ARGV[2])
local priorVariance = tonumber(ARGV[3])
local writes = {}
for first = 4, #ARGV, 3 do
  local stored = redis.call('HMGET', KEYS[1], ARGV[first], ARGV[first + 1], ARGV[first + 2])
  local mean = tonumber(stored[1]) or 0
  local variance = tonumber(stored[2]) or 0
  local count = tonumber(stored[3]) or 0
  local weight = math.max(alpha, 1 / (count + 1))
  local delta = ratio - mean
  if count == 0 then
    variance = priorVariance
  else
    variance = (1 - weight) * (variance + weight * delta * delta)
  end
  mean = mean + weight * delta
  for i, value in ipairs({mean, variance, count + 1}) do
    table.insert(writes, ARGV[first + i - 1])
    table.insert(writes, string.format('%.17g', value))
  end
end
redis.call('HSET', KEYS[1], unpack(writes))
return 1
`,
);

/**
 * Latency the fleet has observed, by model and by text-length bucket, kept in Redis so that
 * every worker (and a restarted one) starts from what the others learned. The statistic is the
 * log of observed over prior latency: its moving mean corrects the prior's scale, its moving
 * variance gives the spread.
 */
export type LatencyStats = {
  estimate(model: ModelSlug, chars: number): Promise<LatencyEstimate>;
  observe(model: ModelSlug, chars: number, latencyMs: number): Promise<void>;
};

export function makeLatencyStats(redis: RedisClient, prefix: string): LatencyStats {
  const key = globalKeys(prefix).latency;
  const fields = (scope: string) => [`${scope}:mean`, `${scope}:var`, `${scope}:n`] as const;
  async function read(model: ModelSlug, chars: number): Promise<{ model: Moments; bucket: Moments }> {
    const bucketScope = `${model}:len${lengthBucket(chars)}`;
    const values = await redis.hmget(key, ...fields(model), ...fields(bucketScope));
    const at = (index: number) => Number(values[index] ?? 0);
    return {
      model: { mean: at(0), variance: at(1), count: at(2) },
      bucket: { mean: at(3), variance: at(4), count: at(5) },
    };
  }
  return {
    async estimate(model, chars) {
      const stats = await read(model, chars);
      const prior = priorMedianMs(model, chars);
      const { mean, variance, count } =
        stats.bucket.count >= BUCKET_MIN_OBSERVATIONS ? stats.bucket : stats.model;
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
      if (!Number.isFinite(ratio)) return;
      const bucketScope = `${model}:len${lengthBucket(chars)}`;
      await runScript(
        redis,
        OBSERVE_SCRIPT,
        [key],
        [ratio, ALPHA, PRIOR_SIGMA ** 2, ...fields(model), ...fields(bucketScope)],
      );
    },
  };
}
