import type { Redis } from 'ioredis';

/** `INFO memory` used_memory: what the allocator holds for the data set, clients and scripts (bytes). */
export async function usedMemoryBytes(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match?.[1]) throw new Error('bench: INFO memory has no used_memory');
  return Number(match[1]);
}

/** `MEMORY STATS`, flattened to numbers (`db.0.overhead.hashtable.main`, `dataset.bytes`, ...). */
export async function memoryStats(redis: Redis): Promise<Record<string, number>> {
  const stats: Record<string, number> = {};
  const add = (prefix: string, flat: unknown[]) => {
    for (let at = 0; at + 1 < flat.length; at += 2) {
      const name = `${prefix}${String(flat[at])}`;
      const value = flat[at + 1];
      if (Array.isArray(value)) add(`${name}.`, value);
      else if (Number.isFinite(Number(value))) stats[name] = Number(value);
    }
  };
  add('', (await redis.call('MEMORY', 'STATS')) as unknown[]);
  return stats;
}

/** What a key is, for the breakdown: a BullMQ job hash, one of the queue's own keys, or one of the run's. */
function kindOf(key: string, prefix: string): string {
  const queue = `${prefix}:rows:`;
  if (key.startsWith(queue)) {
    const rest = key.slice(queue.length);
    // Job ids are `run/row/contentHash`; a job's log list is `<job key>:logs`.
    if (rest.includes('/')) return rest.endsWith(':logs') ? 'job logs' : 'job hashes';
    return `queue ${rest}`;
  }
  const runs = `${prefix}:run:`;
  if (key.startsWith(runs)) {
    // `<prefix>:run:<name>` is the run's meta, `<prefix>:run:<name>:rows` its rows hash, ...
    const colon = key.indexOf(':', runs.length);
    return colon < 0 ? 'run meta' : `run ${key.slice(colon + 1)}`;
  }
  return 'other';
}

export type KindFootprint = {
  readonly keys: number;
  /** Sum of `MEMORY USAGE key SAMPLES 0` (exact, every element counted). */
  readonly bytes: number;
  /** `OBJECT ENCODING` of the first key of the kind. */
  readonly encoding: string;
};

/**
 * Every key under `prefix`, grouped by kind, with its exact `MEMORY USAGE` (pipelined, a SCAN
 * page at a time). The sums leave out what Redis spends per key in its main dictionary.
 */
export async function footprintByKind(redis: Redis, prefix: string): Promise<Record<string, KindFootprint>> {
  const kinds: Record<string, { keys: number; bytes: number; encoding: string }> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const usages = (await pipeline.exec()) ?? [];
    for (const [at, key] of keys.entries()) {
      const kind = kindOf(key, prefix);
      const bytes = Number(usages[at]?.[1] ?? 0);
      const entry = kinds[kind];
      if (entry) {
        entry.keys += 1;
        entry.bytes += bytes;
      } else {
        const encoding = String(await redis.object('ENCODING', key));
        kinds[kind] = { keys: 1, bytes, encoding };
      }
    }
  } while (cursor !== '0');
  return kinds;
}
