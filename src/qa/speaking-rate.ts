import type { Cluster, Redis } from 'ioredis';
import { speechWeight } from '../book/speech-weight.js';
import { luaScript, runScript } from '../redis/scripts.js';

/** The fleet's learned speaking rates, one per model and voice, shared through Redis. */
export type SpeakingRateStore = {
  /** Speech-weighted characters a second to expect: the learned rate, or the prior while too few clips passed. */
  rateFor(model: string, voice: string | null): Promise<number>;
  /**
   * Learns from a clip that passed its checks: `text` spoken in `speechS` seconds. Returns the
   * rate now stored, or `undefined` when the clip teaches nothing (too short, an implausible rate).
   */
  record(model: string, voice: string | null, text: string, speechS: number): Promise<number | undefined>;
};

export type SpeakingRateOptions = {
  /** The queue prefix (`TTS_QUEUE_PREFIX`): the store lives under it. */
  readonly prefix: string;
  /** The cold-start rate (the thresholds' `priorCharsPerSecond`). */
  readonly priorCharsPerSecond: number;
  /** Clips learned from before the learned rate replaces the prior. Default 5. */
  readonly minSamples?: number;
  /** Weight of each new clip once warmed up (an exponentially weighted moving average). Default 0.05. */
  readonly alpha?: number;
  /** Clips shorter than this (seconds) are not learned from: their rate is mostly noise. Default 1. */
  readonly minSpeechS?: number;
};

/** Rates outside these bounds (characters a second) are a broken clip or text, not a voice. */
const PLAUSIBLE_CPS = [3, 40] as const;

/** Hash `n` (clips learned from), `cps` (the rate): plain mean for the first 1/alpha clips, then EWMA. */
const RECORD_LUA = luaScript(
  'ttsSpeakingRate',
  1,
  `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local cps = tonumber(redis.call('HGET', KEYS[1], 'cps') or '0')
local weight = math.max(tonumber(ARGV[2]), 1 / (n + 1))
cps = cps + weight * (tonumber(ARGV[1]) - cps)
redis.call('HSET', KEYS[1], 'n', n + 1, 'cps', tostring(cps))
return tostring(cps)
`,
);

/** Hash: the learned rate of `model` spoken by `voice` (no voice: the model's default). */
export function speakingRateKey(prefix: string, model: string, voice: string | null): string {
  return `${prefix}:qa:rate:${model}:${voice ?? 'default'}`;
}

export function makeSpeakingRateStore(
  redis: Redis | Cluster,
  options: SpeakingRateOptions,
): SpeakingRateStore {
  const { prefix, priorCharsPerSecond } = options;
  const minSamples = options.minSamples ?? 5;
  const alpha = options.alpha ?? 0.05;
  const minSpeechS = options.minSpeechS ?? 1;
  return {
    async rateFor(model, voice) {
      const [n, cps] = await redis.hmget(speakingRateKey(prefix, model, voice), 'n', 'cps');
      const learned = Number(cps);
      if (Number(n) < minSamples || !Number.isFinite(learned) || learned <= 0) return priorCharsPerSecond;
      return learned;
    },
    async record(model, voice, text, speechS) {
      if (!(speechS >= minSpeechS)) return undefined;
      const cps = speechWeight(text) / speechS;
      if (cps < PLAUSIBLE_CPS[0] || cps > PLAUSIBLE_CPS[1]) return undefined;
      const stored = await runScript(
        redis,
        RECORD_LUA,
        [speakingRateKey(prefix, model, voice)],
        [cps, alpha],
      );
      return Number(stored);
    },
  };
}
