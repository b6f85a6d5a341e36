import { Queue } from 'bullmq';
import { ROWS_QUEUE } from './keys.js';
import { connectRedis, makeRedis, type RedisClient } from '../redis/connection.js';
import type { Settings } from '../settings.js';

export type QueueSession = { readonly queue: Queue; readonly redis: RedisClient; readonly prefix: string };

/**
 * A fail-fast connection and the rows queue for one command, closed afterwards (the pattern of
 * `pause`/`resume`, shared by status, retry, report and the dashboard).
 */
export async function withQueue<T>(
  settings: Settings,
  use: (session: QueueSession) => Promise<T>,
): Promise<T> {
  const redis = await connectRedis(makeRedis(settings, 'command'), settings);
  const queue = new Queue(ROWS_QUEUE, { connection: redis, prefix: settings.queuePrefix });
  try {
    return await use({ queue, redis, prefix: settings.queuePrefix });
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
