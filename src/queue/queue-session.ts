import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ROWS_QUEUE } from './keys.js';
import { connectRedis, makeRedis } from '../redis/connection.js';
import type { Settings } from '../settings.js';

export type QueueSession = { readonly queue: Queue; readonly redis: Redis; readonly prefix: string };

/**
 * A fail-fast connection and the rows queue for one command, closed afterwards (the pattern of
 * `pause`/`resume`, shared by status, retry, report and the dashboard).
 */
export async function withQueue<T>(
  settings: Settings,
  use: (session: QueueSession) => Promise<T>,
): Promise<T> {
  const redis = await connectRedis(makeRedis(settings.redisUrl, 'command'), settings.redisUrl);
  const queue = new Queue(ROWS_QUEUE, { connection: redis, prefix: settings.queuePrefix });
  try {
    return await use({ queue, redis, prefix: settings.queuePrefix });
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
