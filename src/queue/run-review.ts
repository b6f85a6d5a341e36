import type { RedisClient } from '../redis/connection.js';
import { runKeys } from './keys.js';

/** A run's rows kept with a take that failed its checks (`qa.status: needs_review`): how many, and some with why. */
export type ReviewRows = {
  readonly count: number;
  readonly rows: readonly { readonly id: string; readonly reasons: string }[];
};

/** Notes a row as needing review with its failed checks, or (reasons undefined) takes it off the list. */
export async function noteReview(
  redis: RedisClient,
  prefix: string,
  run: string,
  id: string,
  reasons: string | undefined,
): Promise<void> {
  const key = runKeys(prefix, run).review;
  await (reasons === undefined ? redis.hdel(key, id) : redis.hset(key, id, reasons));
}

/** How many rows of the run need review, and up to `limit` of them (one HSCAN page, not the whole hash). */
export async function readReviewRows(
  redis: RedisClient,
  prefix: string,
  run: string,
  limit: number,
): Promise<ReviewRows> {
  const key = runKeys(prefix, run).review;
  const count = await redis.hlen(key);
  if (count === 0) return { count, rows: [] };
  const [, fields] = await redis.hscan(key, 0, 'COUNT', limit);
  const rows: { id: string; reasons: string }[] = [];
  for (let at = 0; at + 1 < fields.length && rows.length < limit; at += 2)
    rows.push({ id: fields[at] ?? '', reasons: fields[at + 1] ?? '' });
  return { count, rows };
}
