import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../log.js';
import { readRunMark, verifyRunMark } from '../output/run-mark.js';
import { runKeys } from '../queue/keys.js';
import { HandBack } from './row-signals.js';

/** How long a checked run directory is trusted before its mark is checked again. */
const RECHECK_MS = 30_000;
/** A row of a run whose directory this machine cannot see waits this long before another try. */
const UNSEEN_WAIT_MS = 60_000;

/**
 * The output directory of a run, from the run's metadata in Redis (never from a job, whose data
 * can be edited from the dashboard), checked against the run's mark so that a worker on a
 * machine that does not see the directory, or after it was deleted, says so instead of scattering
 * files. Once known, a run's directory outlives Redis forgetting the run: its rows in flight
 * still save their paid audio there.
 */
export function makeRunDirs(redis: RedisClient, prefix: string, logger: Logger, now: () => number) {
  const known = new Map<string, { readonly dir: string; checkedAt: number }>();
  return async function runDir(run: string): Promise<string> {
    const cached = known.get(run);
    if (cached && now() - cached.checkedAt < RECHECK_MS) return cached.dir;
    const [outDir, runId] = await redis.hmget(runKeys(prefix, run).meta, 'outDir', 'runId');
    const dir = outDir ?? cached?.dir;
    if (!dir) {
      logger.error(
        { event: 'run_unknown', run },
        'row of a run Redis has no metadata for: enqueue its script again',
      );
      throw new HandBack(`run ${run} has no metadata`, UNSEEN_WAIT_MS);
    }
    const verdict = runId
      ? await verifyRunMark(dir, { prefix, run, runId })
      : (await readRunMark(dir)) === undefined
        ? 'missing'
        : 'ok';
    if (verdict !== 'ok') {
      const why =
        verdict === 'missing'
          ? 'this machine cannot see the run directory (no .tts-run.json there): mount the output directory here, or it was deleted: enqueue the script again'
          : 'the directory belongs to another run';
      logger.error({ event: 'run_dir_unusable', run, outDir: dir, verdict }, why);
      throw new HandBack(`run directory ${dir}: ${verdict}`, UNSEEN_WAIT_MS);
    }
    known.set(run, { dir, checkedAt: now() });
    return dir;
  };
}
