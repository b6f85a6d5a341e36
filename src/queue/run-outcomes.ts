import type { RedisClient } from '../redis/connection.js';
import { luaScript, runScript } from '../redis/scripts.js';
import { runKeys } from './keys.js';
import { decodeRowOutcome, encodeRowOutcome, type RowOutcome } from './row-outcome-codec.js';

/**
 * What recording an outcome did:
 * - `recorded`: first outcome for this content: counted in the run's stats; the caller appends
 *   the manifest line and then calls `markLined`;
 * - `duplicate`: this content already has an outcome (a re-run of the finish step, or a second
 *   worker after a lost lock): nothing counted; `lined` says whether its manifest line is written;
 * - `stale`: the row was enqueued again with other content since: the outcome is not the row's;
 * - `forgotten`: Redis no longer knows the row (restarted empty, flushed): nothing recorded.
 */
export type RecordResult = 'recorded' | 'duplicate' | 'stale' | 'forgotten';

export type Recorded = {
  readonly result: RecordResult;
  /** Every row of the run has an outcome for its current content (O(1): two HLENs). */
  readonly finished: boolean;
  /** For `duplicate`: the outcome's manifest line was appended; else when it was recorded (ms). */
  readonly lined: boolean;
  readonly recordedAtMs: number;
};

/** What a recorded outcome adds to the run's counters. */
export type OutcomeStats = { readonly audioMs: number; readonly costUsd: number };

// KEYS: rows, outcomes, progress, stats. ARGV: id, content hash, encoded outcome, status, audio
// ms, cost, now. A completed outcome replaces a failed one of the same content (a second worker
// saved the audio after all). The row's progress stays until the manifest line is written
// (markLined), so that a worker killed in between leaves the next one what the line needs.
const RECORD = luaScript(
  'ttsRecordOutcome',
  4,
  `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {'forgotten', 0, 0, 0} end
if current ~= ARGV[2] then return {'stale', 0, 0, 0} end
local function finished()
  if redis.call('HLEN', KEYS[2]) >= redis.call('HLEN', KEYS[1]) then return 1 end
  return 0
end
local previous = redis.call('HGET', KEYS[2], ARGV[1])
local replacing = nil
if previous then
  local ok, old = pcall(cjson.decode, previous)
  if ok and old['h'] == ARGV[2] then
    if old['s'] == 'c' or ARGV[4] == 'failed' then
      return {'duplicate', finished(), old['j'] == 1 and 1 or 0, tonumber(old['t']) or 0}
    end
    replacing = old
  end
end
local outcome = cjson.decode(ARGV[3])
outcome['t'] = tonumber(ARGV[7])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(outcome))
if replacing then redis.call('HINCRBY', KEYS[4], 'failed', -1) end
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
if tonumber(ARGV[5]) > 0 then redis.call('HINCRBY', KEYS[4], 'audio_ms', ARGV[5]) end
if tonumber(ARGV[6]) > 0 then redis.call('HINCRBYFLOAT', KEYS[4], 'cost_usd', ARGV[6]) end
return {'recorded', finished(), 0, tonumber(ARGV[7])}
`,
);

/**
 * Records a row's outcome once per content version, counts it in the run's stats on that first
 * record only, and says whether the run is complete. Atomic: when several workers record the
 * last rows at once, exactly one of them gets `recorded` with `finished`.
 */
export async function recordRowOutcome(
  redis: RedisClient,
  prefix: string,
  run: string,
  id: string,
  outcome: RowOutcome,
  stats: OutcomeStats,
  nowMs: number,
): Promise<Recorded> {
  const keys = runKeys(prefix, run);
  const [result, finished, lined, at] = (await runScript(
    redis,
    RECORD,
    [keys.rows, keys.outcomes, keys.progress, keys.stats],
    [
      id,
      outcome.contentHash,
      encodeRowOutcome(outcome),
      outcome.status,
      Math.round(stats.audioMs),
      stats.costUsd,
      nowMs,
    ],
  )) as [RecordResult, number, number, number];
  return { result, finished: finished === 1, lined: lined === 1, recordedAtMs: at };
}

// KEYS: outcomes, progress, rows. A completed row's progress is no longer needed once its line
// is written. Returns 2 when the run is complete (every row has an outcome), else 1 (0: no outcome).
const MARK_LINED = luaScript(
  'ttsMarkLined',
  3,
  `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return 0 end
local outcome = cjson.decode(stored)
if outcome['h'] ~= ARGV[2] then return 0 end
outcome['j'] = 1
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(outcome))
if outcome['s'] == 'c' then redis.call('HDEL', KEYS[2], ARGV[1]) end
if redis.call('HLEN', KEYS[1]) >= redis.call('HLEN', KEYS[3]) then return 2 end
return 1
`,
);

/**
 * Notes that the outcome's manifest.jsonl line is written, so no re-run of the finish step writes
 * it again; resolves to whether the run is complete, so that a line appended after the run's last
 * outcome was recorded still gets into the final manifests.
 */
export async function markLined(
  redis: RedisClient,
  prefix: string,
  run: string,
  id: string,
  contentHash: string,
): Promise<{ readonly finished: boolean }> {
  const keys = runKeys(prefix, run);
  const marked = await runScript(
    redis,
    MARK_LINED,
    [keys.outcomes, keys.progress, keys.rows],
    [id, contentHash],
  );
  return { finished: marked === 2 };
}

/** The recorded outcomes of `ids` (undefined where there is none), in one round trip. */
export async function readRowOutcomes(
  redis: RedisClient,
  prefix: string,
  run: string,
  ids: readonly string[],
): Promise<(RowOutcome | undefined)[]> {
  if (ids.length === 0) return [];
  const stored = await redis.hmget(runKeys(prefix, run).outcomes, ...ids);
  return stored.map((json) => decodeRowOutcome(json));
}

/** Every recorded outcome of a run, page by page (HSCAN: a large run does not block Redis). */
export async function* scanRowOutcomes(
  redis: RedisClient,
  prefix: string,
  run: string,
  pageSize = 1000,
): AsyncGenerator<readonly (readonly [string, RowOutcome])[]> {
  const stream = redis.hscanStream(runKeys(prefix, run).outcomes, { count: pageSize });
  for await (const page of stream as AsyncIterable<string[]>) {
    const entries: (readonly [string, RowOutcome])[] = [];
    for (let i = 0; i + 1 < page.length; i += 2) {
      const outcome = decodeRowOutcome(page[i + 1]);
      if (outcome) entries.push([page[i] ?? '', outcome]);
    }
    yield entries;
  }
}
