import { Redis, type RedisOptions } from 'ioredis';
import { SECOND } from '../time.js';

export type ConnectionRole =
  /** Producers and one-shot commands: fail fast when Redis is unreachable. */
  | 'command'
  /** Workers: retry forever, carry on when Redis returns. */
  | 'worker';

/**
 * One ioredis connection for `redisUrl` (`redis://`, `rediss://`, with password). BullMQ needs
 * `maxRetriesPerRequest: null` on connections used by workers (blocking commands).
 */
export function makeRedis(
  redisUrl: string,
  role: ConnectionRole,
  extra: Omit<RedisOptions, 'replyMapping'> = {},
): Redis {
  const options: Omit<RedisOptions, 'replyMapping'> =
    role === 'worker'
      ? {
          maxRetriesPerRequest: null,
          enableReadyCheck: true,
          retryStrategy: (times) => Math.min(times * 200, 5 * SECOND),
        }
      : {
          maxRetriesPerRequest: 1,
          connectTimeout: 3 * SECOND,
          enableOfflineQueue: true,
          retryStrategy: (times) => (times > 3 ? null : times * 250),
        };
  return new Redis(redisUrl, { ...options, ...extra, lazyConnect: true });
}

/** Connects, or throws a clear error within a few seconds when Redis cannot be reached. */
export async function connectRedis(redis: Redis, redisUrl: string): Promise<Redis> {
  // ioredis rejects connect() with a bare "Connection is closed." and reports the real cause
  // (WRONGPASS, NOAUTH, ECONNREFUSED) only as an 'error' event: keep the last one for the message.
  let lastError: unknown;
  const remember = (error: unknown) => (lastError = error);
  redis.on('error', remember);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (cause) {
    redis.disconnect();
    throw new RedisUnreachableError(redisUrl, { cause: lastError ?? cause });
  } finally {
    redis.off('error', remember);
  }
}

export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError' as const;
  constructor(
    readonly redisUrl: string,
    options: { cause: unknown },
  ) {
    super(
      `Cannot reach Redis at ${redactUrl(redisUrl)}: ${String((options.cause as Error)?.message ?? options.cause)}`,
      options,
    );
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);
const CONNECTION_ERROR_MESSAGES =
  /Connection is closed|Stream isn't writeable|Socket closed unexpectedly|connect ETIMEDOUT|max retries per request/i;

/**
 * Redis cannot be reached or the connection dropped: an outage a worker waits out, not a
 * refusal (wrong password) or a failed command.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (code !== undefined && CONNECTION_ERROR_CODES.has(code)) || CONNECTION_ERROR_MESSAGES.test(error.message)
  );
}

/** Redis refused the credentials of REDIS_URL (or requires some): waiting does not help. */
export function isRedisAuthError(error: unknown): boolean {
  return error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid password/i.test(error.message);
}
