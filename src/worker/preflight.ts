import type { Logger } from '../log.js';
import { connectRedis, makeRedis } from '../redis/connection.js';
import { checkRedisServer } from '../redis/server-checks.js';
import type { Settings } from '../settings.js';
import { ConfigError } from '../errors.js';

/**
 * Before a worker takes rows: Redis must not evict the runs' keys (refused unless allowed), and
 * a Redis without persistence is named. An unreachable Redis is not checked here: the worker
 * waits for it like for any outage.
 */
export async function preflightRedis(settings: Settings, logger: Logger): Promise<void> {
  let redis;
  try {
    redis = await connectRedis(makeRedis(settings.redisUrl, 'command'), settings.redisUrl);
  } catch {
    return;
  }
  try {
    const check = await checkRedisServer(redis, { allowEviction: settings.allowEviction });
    for (const warning of check.warnings) logger.warn({ event: 'redis_config' }, warning);
    if (check.refusal !== undefined) throw new ConfigError('TTS_ALLOW_EVICTION', check.refusal);
  } finally {
    redis.disconnect();
  }
}
