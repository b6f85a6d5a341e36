import { Redis } from 'ioredis';

/** Every key of the Redis at `url` with its value, as text, for asserting a secret is not stored. */
export async function dumpRedis(url: string): Promise<{ keys: number; text: string }> {
  const client = new Redis(url);
  try {
    const parts: string[] = [];
    const keys = await client.keys('*');
    for (const key of keys) {
      const type = await client.type(key);
      let value: unknown = '';
      if (type === 'string') value = (await client.getBuffer(key))?.toString('latin1');
      else if (type === 'hash') value = await client.hgetall(key);
      else if (type === 'list') value = await client.lrange(key, 0, -1);
      else if (type === 'zset') value = await client.zrange(key, '0', '-1');
      else if (type === 'set') value = await client.smembers(key);
      else if (type === 'stream') value = await client.xrange(key, '-', '+');
      else value = `(unscanned type ${type})`;
      parts.push(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    return { keys: keys.length, text: parts.join('\n') };
  } finally {
    client.disconnect();
  }
}
