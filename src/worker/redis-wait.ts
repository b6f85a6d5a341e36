import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRedisAuthError, makeRedis, type RedisClient, RedisUnreachableError } from '../redis/connection.js';
import { describeRedis, type RedisTarget } from '../redis/redis-target.js';
import { MINUTE, SECOND } from '../time.js';

export type RedisWaitOptions = {
  /** Where Redis is: the settings (one server or a cluster), or a URL. */
  readonly target: RedisTarget | string;
  /** Give up (exit 1) after this long without an answer; 0 waits for as long as it takes. */
  readonly waitMs: number;
  readonly logger: Logger;
  /** Stops the wait (SIGINT/SIGTERM): resolves to undefined. */
  readonly signal: AbortSignal;
  /** How often the wait is said again; default a minute. */
  readonly logEveryMs?: number;
  readonly now?: () => number;
};

/**
 * A starting worker's first connection to Redis. Says once that it waits for Redis at the URL
 * (password masked) and why, then a line a minute, instead of an error per reconnection; gives up
 * after `waitMs` when one is set. A Redis that refuses the URL's credentials is refused at once
 * (ConfigError: waiting does not fix a password). Resolves to the connected client.
 */
export function waitForRedis(options: RedisWaitOptions): Promise<RedisClient | undefined> {
  const { target, waitMs, logger, signal } = options;
  const now = options.now ?? Date.now;
  const logEveryMs = options.logEveryMs ?? MINUTE;
  const redis = makeRedis(target, 'worker');
  // After the wait (the preflight checks, the disconnect): nothing more to say about this connection.
  redis.on('error', () => undefined);
  const masked = describeRedis(target);
  const startedAt = now();
  const waitedS = () => Math.round((now() - startedAt) / SECOND);
  let lastError: Error | undefined;
  let repeat: NodeJS.Timeout | undefined;
  let bound: NodeJS.Timeout | undefined;

  return new Promise<RedisClient | undefined>((resolve, reject) => {
    const finish = (outcome: () => void) => {
      clearInterval(repeat);
      clearTimeout(bound);
      signal.removeEventListener('abort', onAbort);
      redis.off('error', onError);
      redis.off('ready', onReady);
      outcome();
    };
    const giveUp = (error: Error) => {
      redis.disconnect();
      finish(() => reject(error));
    };
    const onError = (error: Error) => {
      lastError = error;
      if (isRedisAuthError(error)) {
        giveUp(
          new ConfigError(
            'REDIS_URL',
            `Redis at ${masked} refused the credentials of REDIS_URL: ${error.message}`,
          ),
        );
        return;
      }
      if (repeat !== undefined) return;
      logger.warn(
        { event: 'redis_waiting', redis: masked, reason: error.message },
        `waiting for Redis at ${masked} (${error.message}): the worker starts when it answers`,
      );
      repeat = setInterval(() => {
        logger.warn(
          { event: 'redis_still_waiting', redis: masked, waitedS: waitedS(), reason: lastError?.message },
          `still waiting for Redis at ${masked}`,
        );
      }, logEveryMs);
    };
    const onReady = () => {
      if (repeat !== undefined) {
        logger.info({ event: 'redis_connected', redis: masked, waitedS: waitedS() }, 'Redis answers');
      }
      finish(() => resolve(redis));
    };
    const onAbort = () => {
      redis.disconnect();
      finish(() => resolve(undefined));
    };
    redis.on('error', onError);
    redis.on('ready', onReady);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (waitMs > 0) {
      bound = setTimeout(() => {
        const reason = lastError?.message ?? 'no answer';
        giveUp(
          new RedisUnreachableError(target, {
            cause: new Error(`${reason}; gave up after ${waitMs / SECOND} s (TTS_REDIS_WAIT_MS=${waitMs})`),
          }),
        );
      }, waitMs);
    }
    redis.connect().catch(() => undefined);
  });
}
