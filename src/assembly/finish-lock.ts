import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { runKeys } from '../queue/keys.js';
import type { RedisClient } from '../redis/connection.js';
import { luaScript, runScript } from '../redis/scripts.js';
import { SECOND } from '../time.js';

/** Longer than any putting-in-place takes (renames and small files); a killed holder blocks no longer. */
const LOCK_TTL_MS = 30 * SECOND;
const RETRY_MS = 50;

const RELEASE = luaScript(
  'ttsReleaseAssemblyLock',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/**
 * Runs `finish` (check the version is still current, rename the outputs into place, write the
 * done-marker) while no other assembly job of the run does the same: two jobs of different
 * versions of a chapter (a row re-synthesised while its chapter was being joined) would otherwise
 * interleave and leave a file of one version under the marker of the other.
 */
export async function withFinishLock<T>(
  redis: RedisClient,
  prefix: string,
  run: string,
  finish: () => Promise<T>,
): Promise<T> {
  const key = runKeys(prefix, run).assemblyLock;
  const token = randomBytes(12).toString('hex');
  while ((await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') await delay(RETRY_MS);
  try {
    return await finish();
  } finally {
    await runScript(redis, RELEASE, [key], [token]).catch(() => undefined);
  }
}
