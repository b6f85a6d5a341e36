import type { Cluster, Redis } from 'ioredis';
import { luaScript, runScript } from '../redis/scripts.js';

/** The integrated loudness of a run's clips, shared by the fleet, for `loudness` against the run's median. */
export type RunLoudness = {
  /** Records (or, for a re-take, replaces) the loudness of a row's clip. */
  record(run: string, rowId: string, lufs: number): Promise<void>;
  /** The median over the run's rows, or `undefined` while fewer than `minClips` are recorded. */
  median(run: string): Promise<number | undefined>;
};

export type RunLoudnessOptions = {
  /** The queue prefix (`TTS_QUEUE_PREFIX`). */
  readonly prefix: string;
  /** Clips recorded before a median is given (a median of two clips judges nothing). Default 5. */
  readonly minClips?: number;
};

/** Sorted set: row id scored by its clip's LUFS; the median is read by rank in one script. */
export function runLoudnessKey(prefix: string, run: string): string {
  return `${prefix}:run:${run}:qa-loudness`;
}

const MEDIAN_LUA = luaScript(
  'ttsRunLoudnessMedian',
  1,
  `
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[1]) or n == 0 then return false end
local middle = redis.call('ZRANGE', KEYS[1], math.floor((n - 1) / 2), math.floor(n / 2), 'WITHSCORES')
if #middle == 2 then return middle[2] end
return tostring((tonumber(middle[2]) + tonumber(middle[4])) / 2)
`,
);

export function makeRunLoudness(redis: Redis | Cluster, options: RunLoudnessOptions): RunLoudness {
  const minClips = Math.max(1, options.minClips ?? 5);
  return {
    async record(run, rowId, lufs) {
      if (!Number.isFinite(lufs)) return;
      await redis.zadd(runLoudnessKey(options.prefix, run), lufs, rowId);
    },
    async median(run) {
      const value = await runScript(redis, MEDIAN_LUA, [runLoudnessKey(options.prefix, run)], [minClips]);
      return value === null ? undefined : Number(value);
    },
  };
}
