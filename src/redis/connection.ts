import { readFileSync } from 'node:fs';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { SECOND } from '../time.js';
import { describeRedis, type RedisTarget } from './redis-target.js';

export { redactUrl } from './redis-target.js';

/** A connection to the product's Redis: one server, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export type ConnectionRole =
  /** Producers and one-shot commands: fail fast when Redis is unreachable. */
  | 'command'
  /** Workers: retry forever, carry on when Redis returns. */
  | 'worker';

type ConnectionOptions = Omit<RedisOptions, 'replyMapping'>;

function roleOptions(role: ConnectionRole): ConnectionOptions {
  return role === 'worker'
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
}

/**
 * One ioredis connection to `target`: a single server at its URL (`redis://`, `rediss://`, with
 * password), or a Redis Cluster from its seed nodes, with the URL's scheme, user and password.
 * `rediss://` trusts the CA file of the target when it names one. BullMQ needs
 * `maxRetriesPerRequest: null` on connections used by workers (blocking commands).
 */
export function makeRedis(target: string, role: ConnectionRole, extra?: ConnectionOptions): Redis;
export function makeRedis(
  target: RedisTarget | string,
  role: ConnectionRole,
  extra?: ConnectionOptions,
): RedisClient;
export function makeRedis(
  target: RedisTarget | string,
  role: ConnectionRole,
  extra: ConnectionOptions = {},
): RedisClient {
  const options = { ...roleOptions(role), ...extra, lazyConnect: true };
  if (typeof target === 'string') return new Redis(target, options);
  const tls = tlsOptions(target);
  if (target.redisClusterNodes.length === 0) return new Redis(target.redisUrl, { ...options, ...tls });
  const { retryStrategy, enableOfflineQueue, enableReadyCheck, ...nodeOptions } = options;
  const url = new URL(target.redisUrl);
  const clusterOptions = {
    lazyConnect: true,
    ...failoverPatience(role),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
    // Managed clusters announce addresses their certificates may not name: keep the names given.
    dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address),
    redisOptions: {
      ...nodeOptions,
      ...tls,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    },
  };
  return new Cluster(
    target.redisClusterNodes.map(({ host, port }) => ({ host, port })),
    clusterOptions,
  );
}

/**
 * While a cluster fails a master over (its replica is promoted after `cluster-node-timeout`,
 * 15 s by default), commands meet closed connections, CLUSTERDOWN and MOVED: they are retried
 * every half second, for as long as a worker waits for Redis (5 min, then a row error like any
 * outage) or half a minute for a command.
 */
function failoverPatience(role: ConnectionRole) {
  const delayMs = SECOND / 2;
  return {
    retryDelayOnFailover: delayMs,
    retryDelayOnClusterDown: delayMs,
    retryDelayOnTryAgain: delayMs,
    maxRedirections: role === 'worker' ? 600 : 60,
  };
}

/** `tls` for a `rediss://` target: the CA file's authorities when one is set, else the system's. */
function tlsOptions(target: RedisTarget): Pick<RedisOptions, 'tls'> {
  if (!target.redisUrl.startsWith('rediss://')) return {};
  const ca = target.redisTlsCaFile === undefined ? undefined : readFileSync(target.redisTlsCaFile);
  return { tls: ca === undefined ? {} : { ca } };
}

/** Connects, or throws a clear error within a few seconds when Redis cannot be reached. */
export async function connectRedis<Client extends RedisClient>(
  redis: Client,
  target: RedisTarget | string,
): Promise<Client> {
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
    throw new RedisUnreachableError(target, { cause: lastError ?? cause });
  } finally {
    redis.off('error', remember);
  }
}

export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError' as const;
  /** The URL without its password, or the cluster's seed nodes. */
  readonly redis: string;
  constructor(target: RedisTarget | string, options: { cause: unknown }) {
    const redis = describeRedis(target);
    super(
      `Cannot reach Redis at ${redis}: ${String((options.cause as Error)?.message ?? options.cause)}`,
      options,
    );
    this.redis = redis;
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
  /Connection is closed|Stream isn't writeable|Socket closed unexpectedly|connect ETIMEDOUT|max retries per request|Too many Cluster redirections|^CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes is available/i;

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
