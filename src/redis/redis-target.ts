import { ConfigError } from '../errors.js';

/** Where the product's Redis is: one server, or the seed nodes of a Redis Cluster. */
export type RedisTarget = {
  /**
   * `redis://` or `rediss://` (TLS) URL of a single server, with user and password. With
   * `redisClusterNodes`, only its scheme (TLS or not), user and password are used.
   */
  readonly redisUrl: string;
  /** Seed nodes of a Redis Cluster (`REDIS_CLUSTER_NODES`); empty: a single server at `redisUrl`. */
  readonly redisClusterNodes: readonly RedisNodeAddress[];
  /** PEM file of the certificate authorities trusted for `rediss://` (`REDIS_TLS_CA_FILE`); default: the system's. */
  readonly redisTlsCaFile: string | undefined;
};

export type RedisNodeAddress = { readonly host: string; readonly port: number };

export const CLUSTER_NODES_SETTING = 'REDIS_CLUSTER_NODES';

/** `host:port,host:port` (IPv6 hosts in brackets: `[::1]:7000`), as `REDIS_CLUSTER_NODES` gives them. */
export function parseClusterNodes(value: string | undefined): RedisNodeAddress[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((part) => {
    const text = part.trim();
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(
        CLUSTER_NODES_SETTING,
        `Expected \`${CLUSTER_NODES_SETTING}\` as \`host:port,host:port,...\`, got \`${text}\``,
      );
    }
    return { host: match[1] ?? match[2] ?? '', port };
  });
}

/**
 * The hash tag of a key prefix: what Redis Cluster hashes for every key starting with it (the
 * text between the first `{` and the next `}`, when not empty), or undefined.
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

/**
 * On a Redis Cluster, every key of the product (BullMQ's too) must live in one slot, or its Lua
 * scripts and transactions are refused (CROSSSLOT): the queue prefix must hold a hash tag.
 */
export function checkClusterPrefix(target: RedisTarget, prefix: string): void {
  if (target.redisClusterNodes.length === 0 || hashTagOf(prefix) !== undefined) return;
  throw new ConfigError(
    'TTS_QUEUE_PREFIX',
    `On Redis Cluster (${CLUSTER_NODES_SETTING} is set), \`TTS_QUEUE_PREFIX\` must hold a hash tag so that ` +
      `every key of a run shares one slot: set TTS_QUEUE_PREFIX={${prefix.replace(/[{}]/g, '') || 'tts'}}, got \`${prefix}\``,
  );
}

/** The target for messages: the URL without its password, or the cluster's seed nodes. */
export function describeRedis(target: RedisTarget | string): string {
  if (typeof target === 'string') return redactUrl(target);
  if (target.redisClusterNodes.length === 0) return redactUrl(target.redisUrl);
  const nodes = target.redisClusterNodes.map(({ host, port }) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  );
  return `Redis Cluster ${nodes.join(',')}`;
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
