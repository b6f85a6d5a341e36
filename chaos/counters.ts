import type { ManifestEntry } from '../src/output/manifest-entry.js';

/** The run's counters in Redis (`<prefix>:run:<run>:stats`), as HGETALL returns them. */
export type RunStats = Readonly<Record<string, string>>;

export type CounterVerdict =
  | { readonly compared: true; readonly problems: readonly string[] }
  | { readonly compared: false; readonly why: string };

/**
 * The counters against the sums over manifest.json: `completed`, `failed`, `cost_usd` (to a
 * micro-dollar per row) and `audio_ms` (1 ms per row: each row's duration is rounded once).
 *
 * When they mean something: the counters are changed by the same Lua script that records an
 * outcome, only on its first record, so a Redis holds counters for exactly the outcomes it
 * recorded. An AOF restart keeps both or neither of a record. An empty restart loses both; once
 * the script is enqueued again, every row is recorded in the new Redis (adopted rows by enqueue,
 * through that script; the rest by workers). So they are compared when the Redis holding them
 * has an outcome for every row of the run (`outcomesInRedis`), and not otherwise: the report then
 * says why. `calls` is not compared: a SIGKILLed worker's unsaved calls are lost by design.
 */
export function compareCounters(
  stats: RunStats,
  entries: readonly ManifestEntry[],
  rows: number,
  outcomesInRedis: number,
): CounterVerdict {
  if (Object.keys(stats).length === 0) return { compared: false, why: 'the run has no counters in Redis' };
  if (outcomesInRedis !== rows) {
    return {
      compared: false,
      why: `Redis holds ${outcomesInRedis} outcomes for ${rows} rows: its counters cover only those`,
    };
  }
  const problems: string[] = [];
  const count = (field: string) => Number(stats[field] ?? 0);
  const completed = entries.filter((entry) => entry.status === 'completed');
  const check = (field: string, expected: number, tolerance: number) => {
    const actual = count(field);
    if (!(Math.abs(actual - expected) <= tolerance)) {
      problems.push(
        `counter ${field} is ${actual}, manifest.json sums to ${expected} (tolerance ${tolerance})`,
      );
    }
  };
  check('completed', completed.length, 0);
  check('failed', entries.length - completed.length, 0);
  const audioMs = entries.reduce((sum, entry) => sum + (entry.duration_s ?? 0) * 1000, 0);
  check('audio_ms', Math.round(audioMs), entries.length);
  const costUsd = entries.reduce((sum, entry) => sum + (entry.cost ?? 0), 0);
  check('cost_usd', Number(costUsd.toFixed(6)), 1e-6 * entries.length);
  return { compared: true, problems };
}
