import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/** The setting that lets enqueue and workers run on a Redis that may evict keys. */
export const ALLOW_EVICTION_SETTING = 'TTS_ALLOW_EVICTION';

export type ServerCheckOptions = {
  /** Go on with a `maxmemory-policy` other than `noeviction` (`TTS_ALLOW_EVICTION=1`). */
  readonly allowEviction: boolean;
};

export type ServerCheck = {
  /** Things the operator should know; the command goes on. */
  readonly warnings: string[];
  /** Why the command must not go on (exit 2), or undefined. */
  readonly refusal: string | undefined;
};

/** `key:value` lines of an INFO section. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

async function saveRules(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'save')) as unknown;
    return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
  } catch {
    // Managed Redis often refuses CONFIG (renamed or disabled command, no ACL permission).
    return undefined;
  }
}

async function info(redis: Redis, section: string): Promise<Map<string, string> | undefined> {
  try {
    return parseInfo(await redis.info(section));
  } catch {
    return undefined;
  }
}

/**
 * What the Redis server's configuration means for the runs kept in it. A server that may evict
 * keys (any `maxmemory-policy` but `noeviction`) silently drops a run's rows, outcomes or job
 * locks under memory pressure, which loses rows and pays for others twice: refused unless
 * allowed. A server with neither AOF nor RDB snapshots loses every run on a restart: a warning
 * (the output directory lets enqueue adopt finished rows again, but rows in flight are lost).
 * On a Redis Cluster every master is checked.
 */
export async function checkRedisServer(
  redis: RedisClient,
  options: ServerCheckOptions,
): Promise<ServerCheck> {
  if (!(redis instanceof Cluster)) return checkOneServer(redis, options);
  // A cluster's masters are configured one by one: the run's slot may live on any of them.
  const checks = await Promise.all(redis.nodes('master').map((node) => checkOneServer(node, options)));
  return {
    warnings: [...new Set(checks.flatMap((check) => check.warnings))],
    refusal: checks.find((check) => check.refusal !== undefined)?.refusal,
  };
}

async function checkOneServer(redis: Redis, options: ServerCheckOptions): Promise<ServerCheck> {
  const warnings: string[] = [];
  let refusal: string | undefined;
  const [persistence, memory, save] = await Promise.all([
    info(redis, 'persistence'),
    info(redis, 'memory'),
    saveRules(redis),
  ]);

  const aofEnabled = persistence?.get('aof_enabled');
  if (aofEnabled === undefined) {
    warnings.push('Redis persistence could not be checked (INFO persistence was refused)');
  } else if (aofEnabled !== '1') {
    if (save === undefined) {
      warnings.push(
        'Redis persistence could not be checked: AOF is off and CONFIG GET save was refused; ' +
          'unless RDB snapshots are on, a Redis restart loses the state of every run',
      );
    } else if (save.trim() === '') {
      warnings.push(
        'Redis has neither AOF nor RDB snapshots: a restart loses the state of every run ' +
          '(turn on `appendonly yes`); finished rows can be adopted again from the output directory',
      );
    }
  }

  const policy = memory?.get('maxmemory_policy');
  if (policy === undefined) {
    warnings.push("Redis's maxmemory-policy could not be checked (INFO memory was refused)");
  } else if (policy !== 'noeviction') {
    const text =
      `Redis's maxmemory-policy is \`${policy}\`: under memory pressure it deletes keys, ` +
      "including a run's rows, outcomes and job locks, which loses rows and pays for others twice";
    if (options.allowEviction) warnings.push(`${text} (going on: ${ALLOW_EVICTION_SETTING}=1)`);
    else {
      refusal =
        `${text}. Set maxmemory-policy to noeviction (\`CONFIG SET maxmemory-policy noeviction\`, ` +
        `or your provider's parameter), or set ${ALLOW_EVICTION_SETTING}=1 to go on anyway`;
    }
  }
  return { warnings, refusal };
}
