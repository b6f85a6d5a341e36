import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../redis/connection.js';
import { globalKeys } from '../queue/keys.js';
import { luaScript, runScript } from '../redis/scripts.js';
import { MINUTE } from '../time.js';

/**
 * The one request budget of the whole fleet: `SEGMIND_RPM` API calls per minute, shared by
 * every worker process through Redis, plus the fleet-wide pause that a 429 sets.
 *
 * The limiter is GCRA (a virtual-scheduling leaky bucket): each call is given the next free slot
 * `60 s / rpm` after the previous one, measured on the Redis server's clock so that workers on
 * machines with skewed clocks agree. Fixed-window counters (rate-limiter-flexible's
 * RateLimiterRedis, BullMQ's worker limiter) let up to twice the limit through around a window
 * edge, which a provider counting over a sliding minute answers with 429s; spacing the calls
 * evenly never exceeds the limit over any minute, whatever its alignment.
 */
export type RequestBudget = {
  /** Resolves when this process may make one API call; rejects only if `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Holds every worker's calls for `waitMs` (a 429 was answered), keeping the longest hold. */
  backOff(waitMs: number): Promise<void>;
};

// Reserves the next free slot (never earlier than a 429 hold) and returns how long to wait for it.
const ACQUIRE_SCRIPT = luaScript(
  'ttsAcquireSlot',
  2,
  `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local holdUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
local intervalMs = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), nowMs, holdUntil)
redis.call('SET', KEYS[1], slot + intervalMs, 'PX', slot + intervalMs - nowMs + 1000)
return slot - nowMs
`,
);

const BACK_OFF_SCRIPT = luaScript(
  'ttsBackOff',
  1,
  `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local untilMs = nowMs + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return untilMs
`,
);

export type RequestBudgetOptions = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly rpm: number;
  readonly random?: () => number;
};

/** The slot spacing for `rpm`, with 1% headroom so that rounding never puts rpm + 1 calls in a minute. */
export function slotIntervalMs(rpm: number): number {
  return Math.ceil((MINUTE / rpm) * 1.01);
}

export function makeRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const keys = globalKeys(options.prefix);
  const random = options.random ?? Math.random;
  const intervalMs = slotIntervalMs(options.rpm);
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = Number(
          await runScript(options.redis, ACQUIRE_SCRIPT, [keys.budget, keys.backoffUntil], [intervalMs]),
        );
        if (waitMs > 0) await delay(waitMs, undefined, { signal });
        // A 429 may have put the fleet on hold while this call waited for its slot.
        if ((await options.redis.pttl(keys.backoffUntil)) <= 0) return;
        await delay(Math.floor(random() * 50), undefined, { signal });
      }
    },
    async backOff(waitMs) {
      if (waitMs > 0)
        await runScript(options.redis, BACK_OFF_SCRIPT, [keys.backoffUntil], [Math.ceil(waitMs)]);
    },
  };
}
