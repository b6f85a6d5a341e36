import type { RedisClient } from '../redis/connection.js';
import { runKeys } from '../queue/keys.js';
import { isMasterProfile, type MasterProfile } from '../master/acx-spec.js';
import { PLAN_META_FIELD } from './plan-store.js';

/** The field of the run's meta hash holding `--master` (`TTS_MASTER`) of its last enqueue; absent: none. */
export const MASTER_META_FIELD = 'master';

/** Enqueue: the run's mastering profile, for its clip masters when it has no chapters. */
export async function saveRunMaster(
  redis: RedisClient,
  prefix: string,
  run: string,
  master: MasterProfile | undefined,
): Promise<void> {
  const meta = runKeys(prefix, run).meta;
  if (master === undefined) await redis.hdel(meta, MASTER_META_FIELD);
  else await redis.hset(meta, MASTER_META_FIELD, master);
}

/**
 * A run whose clips are mastered: enqueued with `--master` and without chapters (a run with
 * chapters masters its chapters instead). Its output directory and profile, else undefined.
 */
export async function clipMasterRun(
  redis: RedisClient,
  prefix: string,
  run: string,
): Promise<{ outDir: string; master: MasterProfile } | undefined> {
  const [outDir, plan, master] = await redis.hmget(
    runKeys(prefix, run).meta,
    'outDir',
    PLAN_META_FIELD,
    MASTER_META_FIELD,
  );
  if (!outDir || plan || !master || !isMasterProfile(master)) return undefined;
  return { outDir, master };
}

/** Every row of the run has an outcome for its current content (completed or failed). */
export async function runIsFinished(redis: RedisClient, prefix: string, run: string): Promise<boolean> {
  const keys = runKeys(prefix, run);
  const [outcomes, rows] = await Promise.all([redis.hlen(keys.outcomes), redis.hlen(keys.rows)]);
  return rows > 0 && outcomes >= rows;
}
