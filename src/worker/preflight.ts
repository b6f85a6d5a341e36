import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../log.js';
import { checkRedisServer } from '../redis/server-checks.js';
import type { Settings } from '../settings.js';
import { ConfigError } from '../errors.js';

/**
 * Before a worker takes rows: Redis must not evict the runs' keys (refused unless allowed), and
 * a Redis without persistence is named. Runs on the connection `waitForRedis` opened.
 */
export async function preflightRedis(redis: RedisClient, settings: Settings, logger: Logger): Promise<void> {
  const check = await checkRedisServer(redis, { allowEviction: settings.allowEviction });
  for (const warning of check.warnings) logger.warn({ event: 'redis_config' }, warning);
  if (check.refusal !== undefined) throw new ConfigError('TTS_ALLOW_EVICTION', check.refusal);
}
