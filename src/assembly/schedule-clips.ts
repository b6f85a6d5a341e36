import type { RedisClient } from '../redis/connection.js';
import { clipsJobId, type ClipsJobData } from './assembly-jobs.js';
import { clipMasterRun, runIsFinished } from './clips-run.js';
import { clipsVersion, readRunClips } from './run-clips.js';

/**
 * The clip masters' job of a finished run enqueued with `--master` and without chapters, for
 * the current version of its clips (nothing when that version's job exists: its id is fixed).
 */
export async function addClipsJobIfDue(
  deps: { readonly redis: RedisClient; readonly prefix: string },
  run: string,
  add: (data: ClipsJobData, jobId: string) => Promise<void>,
): Promise<void> {
  const found = await clipMasterRun(deps.redis, deps.prefix, run);
  if (found === undefined || !(await runIsFinished(deps.redis, deps.prefix, run))) return;
  const clips = await readRunClips(deps.redis, deps.prefix, run);
  const version = clipsVersion(found.master, clips);
  await add({ kind: 'clips', run, version }, clipsJobId(run, version));
}
