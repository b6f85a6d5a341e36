import type { RedisClient } from '../redis/connection.js';
import { globalKeys, runKeys } from '../queue/keys.js';

/** Earlier runs read for the fleet's figures when the run itself has none (the newest first). */
const FLEET_RUNS_READ = 100;

/** What rows cost and took where they were made: a run's `stats` counters, summed. */
export type ObservedRates = {
  /** Whose counters: the run's own, or the fleet's (every run in the prefix, up to FLEET_RUNS_READ). */
  readonly source: 'run' | 'fleet';
  /** Runs read. */
  readonly runs: number;
  /** Rows with an outcome (completed or failed). */
  readonly rowsDone: number;
  /** USD a completed row cost, as the API reported it (or the price table when it did not). */
  readonly costPerRowUsd: number | undefined;
  /** API calls a row took (submits, polls, results, retries), per row with an outcome. */
  readonly callsPerRow: number | undefined;
};

type Counters = { completed: number; failed: number; calls: number; costUsd: number };

async function readCounters(redis: RedisClient, prefix: string, run: string): Promise<Counters> {
  const [completed, failed, calls, cost] = await redis.hmget(
    runKeys(prefix, run).stats,
    'completed',
    'failed',
    'calls',
    'cost_usd',
  );
  const number = (value: string | null | undefined) => (Number.isFinite(Number(value)) ? Number(value) : 0);
  return {
    completed: number(completed),
    failed: number(failed),
    calls: number(calls),
    costUsd: number(cost),
  };
}

function rates(source: ObservedRates['source'], counted: readonly Counters[]): ObservedRates {
  const sum = (pick: (counters: Counters) => number) => counted.reduce((total, c) => total + pick(c), 0);
  const completed = sum((c) => c.completed);
  const rowsDone = completed + sum((c) => c.failed);
  const calls = sum((c) => c.calls);
  return {
    source,
    runs: counted.length,
    rowsDone,
    costPerRowUsd: completed > 0 ? sum((c) => c.costUsd) / completed : undefined,
    callsPerRow: rowsDone > 0 && calls > 0 ? calls / rowsDone : undefined,
  };
}

/**
 * The observed cost and calls per row: the run's own counters once it has rows done, else the
 * fleet's (the prefix's other runs); undefined where no row was done yet. Read-only.
 */
export async function readObservedRates(
  redis: RedisClient,
  prefix: string,
  run: string,
): Promise<ObservedRates | undefined> {
  const own = await readCounters(redis, prefix, run);
  if (own.completed + own.failed > 0) return rates('run', [own]);
  const runs = await redis.zrevrange(globalKeys(prefix).runs, 0, FLEET_RUNS_READ - 1);
  const counted = (await Promise.all(runs.map((name) => readCounters(redis, prefix, name)))).filter(
    (c) => c.completed + c.failed > 0,
  );
  return counted.length > 0 ? rates('fleet', counted) : undefined;
}
