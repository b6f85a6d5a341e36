import type { RedisClient } from '../redis/connection.js';
import { runKeys } from '../queue/keys.js';
import { decodeRowOutcome } from '../queue/row-outcome-codec.js';
import { scanRowOutcomes } from '../queue/run-outcomes.js';
import type { ManifestIndex } from './manifest-index.js';

export type UnfinishedRows = {
  /** Rows whose current content has no outcome yet. */
  readonly pending: readonly string[];
  /** Rows with an outcome for their current content but no manifest.jsonl line for it. */
  readonly unlined: readonly string[];
};

const SCAN_PAGE = 1000;

/** Rows (HSCAN, page by page) whose current content has no outcome. */
async function pendingRows(redis: RedisClient, keys: ReturnType<typeof runKeys>): Promise<string[]> {
  const pending = new Set<string>();
  const stream = redis.hscanStream(keys.rows, { count: SCAN_PAGE });
  for await (const page of stream as AsyncIterable<string[]>) {
    const ids = page.filter((_, at) => at % 2 === 0);
    if (ids.length === 0) continue;
    const outcomes = await redis.hmget(keys.outcomes, ...ids);
    ids.forEach((id, at) => {
      if (decodeRowOutcome(outcomes[at])?.contentHash !== page[2 * at + 1]) pending.add(id);
    });
  }
  return [...pending];
}

/** Rows whose outcome is recorded for their current content but whose line `index` has not. */
async function unlinedRows(
  redis: RedisClient,
  prefix: string,
  run: string,
  index: ManifestIndex,
): Promise<string[]> {
  const unlined = new Set<string>();
  for await (const page of scanRowOutcomes(redis, prefix, run, SCAN_PAGE)) {
    if (page.length === 0) continue;
    const hashes = await redis.hmget(runKeys(prefix, run).rows, ...page.map(([id]) => id));
    page.forEach(([id, outcome], at) => {
      if (hashes[at] === outcome.contentHash && !index.table.hasKey(index.byKey, id)) unlined.add(id);
    });
  }
  return [...unlined];
}

/**
 * The rows a run's final manifests leave out, listed only when the counts say there are some: a
 * finished run (as many outcomes as rows, a line for each) costs two HLENs, not a scan.
 */
export async function unfinishedRows(
  redis: RedisClient,
  prefix: string,
  run: string,
  index: ManifestIndex,
): Promise<UnfinishedRows> {
  const keys = runKeys(prefix, run);
  const [rows, outcomes] = await Promise.all([redis.hlen(keys.rows), redis.hlen(keys.outcomes)]);
  // Outcomes are kept for current content only (enqueue drops the others), so equal counts mean
  // every row has one.
  const pending = rows === outcomes ? [] : await pendingRows(redis, keys);
  const unlined = index.order.length >= outcomes ? [] : await unlinedRows(redis, prefix, run, index);
  return { pending, unlined };
}
