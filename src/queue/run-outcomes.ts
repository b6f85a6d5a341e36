import type { Redis } from 'ioredis';
import type { ManifestEntry } from '../output/manifest-entry.js';
import { runKeys } from './keys.js';

/**
 * Records a row's outcome only if the row is still enqueued with the same content (an edited
 * and re-enqueued row makes the old job's outcome stale), and says whether the run is complete
 * after it. The check and the write are one atomic step, so when several workers record the last
 * rows at once exactly one of them sees the run complete. A row recorded again later (a retry
 * after a failure that struck after the first record) sees it complete too and writes the final
 * manifests again, which they then need.
 */
const RECORD_OUTCOME_LUA = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current ~= ARGV[2] then return {0, 0} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if redis.call('HLEN', KEYS[2]) < redis.call('HLEN', KEYS[1]) then return {1, 0} end
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', 1000)
  cursor = page[1]
  local fields = page[2]
  for i = 1, #fields, 2 do
    local outcome = redis.call('HGET', KEYS[2], fields[i])
    if not outcome then return {1, 0} end
    local ok, decoded = pcall(cjson.decode, outcome)
    if not ok or decoded['content_hash'] ~= fields[i + 1] then return {1, 0} end
  end
until cursor == '0'
return {1, 1}
`;

export type RecordOutcomeResult = { readonly recorded: boolean; readonly finished: boolean };

export async function recordOutcome(
  redis: Redis,
  prefix: string,
  run: string,
  entry: ManifestEntry,
): Promise<RecordOutcomeResult> {
  const keys = runKeys(prefix, run);
  const [recorded, finished] = (await redis.eval(
    RECORD_OUTCOME_LUA,
    2,
    keys.rows,
    keys.outcomes,
    entry.id,
    entry.content_hash,
    JSON.stringify(entry),
  )) as [number, number];
  return { recorded: recorded === 1, finished: finished === 1 };
}

/** Every recorded outcome of a run (scanned, so a large run does not block Redis). */
export async function readOutcomes(redis: Redis, prefix: string, run: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  const stream = redis.hscanStream(runKeys(prefix, run).outcomes, { count: 1000 });
  for await (const page of stream as AsyncIterable<string[]>) {
    for (let i = 1; i < page.length; i += 2) entries.push(JSON.parse(page[i] ?? '{}') as ManifestEntry);
  }
  return entries;
}

/** Adds to the run's counters (calls, submits, cost, audio seconds...). */
export async function addRunStats(
  redis: Redis,
  prefix: string,
  run: string,
  counts: Readonly<Record<string, number>>,
): Promise<void> {
  const key = runKeys(prefix, run).stats;
  const pipeline = redis.pipeline();
  for (const [field, value] of Object.entries(counts)) {
    if (value === 0) continue;
    if (Number.isInteger(value)) pipeline.hincrby(key, field, value);
    else pipeline.hincrbyfloat(key, field, value);
  }
  await pipeline.exec();
}
