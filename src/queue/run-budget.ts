import type { RedisClient } from '../redis/connection.js';
import { luaScript, runScript } from '../redis/scripts.js';
import { runKeys } from './keys.js';

/** USD in the budget hash are kept as integer micro-dollars: exact sums, atomic HINCRBY. */
const MICRO = 1_000_000;
const micro = (usd: number) => Math.round(usd * MICRO);

/**
 * Reserves a submit's cost against the run's budget, atomically with every other worker: taken
 * when spent plus the cost stays within the limit (or the run has none), refused otherwise, the
 * first refusal noted (`held_at`) for `status` and the `run.budget_reached` notice.
 * KEYS[1] budget hash; ARGV cost (micro-USD), now (ms). Returns {1, spent} or {0, spent, first}.
 */
const RESERVE = luaScript(
  'ttsBudgetReserve',
  1,
  `
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or '-1')
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local cost = tonumber(ARGV[1])
if limit < 0 or spent + cost <= limit then
  return {1, redis.call('HINCRBY', KEYS[1], 'spent', cost)}
end
local first = redis.call('HSETNX', KEYS[1], 'held_at', ARGV[2])
return {0, spent, first}
`,
);

/** A run's budget as it stands. */
export type RunBudget = {
  /** USD; undefined: no budget. */
  readonly limitUsd: number | undefined;
  /** USD reserved by submits (settled to the actual cost where the API reported one). */
  readonly spentUsd: number;
  /** ms since epoch of the first submit held since the limit was last set; undefined: none held. */
  readonly heldAt: number | undefined;
};

export type BudgetStore = {
  /** Before a billable submit: true when it may go (its cost now counted), false when the budget holds it. */
  reserve(run: string, costUsd: number): Promise<{ readonly ok: boolean; readonly firstHold: boolean }>;
  /** A submit that surely created nothing (taken back): its reservation returned. */
  refund(run: string, costUsd: number): Promise<void>;
  /** The result reported its actual cost: the reservation corrected by the difference. */
  settle(run: string, reservedUsd: number, actualUsd: number): Promise<void>;
  read(run: string): Promise<RunBudget>;
  /** Sets (or with undefined removes) the run's limit; rows held by the old one go on. */
  setLimit(run: string, limitUsd: number | undefined): Promise<void>;
};

export function makeBudgetStore(redis: RedisClient, prefix: string): BudgetStore {
  const key = (run: string) => runKeys(prefix, run).budget;
  return {
    async reserve(run, costUsd) {
      const [ok, , first] = (await runScript(
        redis,
        RESERVE,
        [key(run)],
        [micro(costUsd), Date.now()],
      )) as number[];
      return { ok: ok === 1, firstHold: first === 1 };
    },
    async refund(run, costUsd) {
      await redis.hincrby(key(run), 'spent', -micro(costUsd));
    },
    async settle(run, reservedUsd, actualUsd) {
      const difference = micro(actualUsd) - micro(reservedUsd);
      if (difference !== 0) await redis.hincrby(key(run), 'spent', difference);
    },
    async read(run) {
      const hash = await redis.hgetall(key(run));
      const limit = hash['limit'] === undefined ? -1 : Number(hash['limit']);
      return {
        limitUsd: limit < 0 ? undefined : limit / MICRO,
        spentUsd: Number(hash['spent'] ?? 0) / MICRO,
        heldAt: hash['held_at'] === undefined ? undefined : Number(hash['held_at']),
      };
    },
    async setLimit(run, limitUsd) {
      const multi = redis.multi().hdel(key(run), 'held_at');
      if (limitUsd === undefined) multi.hdel(key(run), 'limit');
      else multi.hset(key(run), 'limit', micro(limitUsd));
      await multi.exec();
    },
  };
}
